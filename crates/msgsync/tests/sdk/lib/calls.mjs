// Calls through the SDK that never stop the run: a rejected answer is recorded and its raw
// value used to go on, an HTTP error or a thrown error is recorded and the call yields nothing.

import { InvalidResponseTypeError, UnsuccessfulRequestError } from 'unipile-node-sdk';

import { render } from './report.mjs';

/** A walk that has not met `cursor: null` after this many pages is reported as endless. */
const MAX_PAGES = 5000;

export class Caller {
  constructor(report, log) {
    this.report = report;
    this.log = log;
  }

  /**
   * Runs one SDK method. Returns `{ value }` when the server answered 2xx (validated, or the
   * raw answer when the SDK rejected its shape, with `invalid: true`), `{ error }` otherwise.
   * `expectError` makes an `UnsuccessfulRequestError` an expected outcome (returned, not
   * recorded).
   */
  async call(method, call, run, { expectError = false } = {}) {
    this.report.count(method);
    try {
      const value = await run();
      return { value };
    } catch (error) {
      if (error instanceof InvalidResponseTypeError) {
        this.report.validation(method, call, error.body ?? [], error.invalid_response);
        return { value: error.invalid_response, invalid: true };
      }
      if (error instanceof UnsuccessfulRequestError) {
        if (!expectError) this.report.http(method, call, error.body);
        return { error };
      }
      this.report.thrown(method, call, error);
      return { error };
    }
  }

  /**
   * Walks a list to its end: `page(cursor)` runs one SDK call. Checks that no id comes twice,
   * that no page is longer than `limit`, that no cursor comes back, and that the walk ends on
   * `cursor: null`. Returns the items and the number of pages.
   */
  async walk(method, call, limit, page) {
    const items = [];
    const seen = new Map();
    const cursors = new Set();
    let cursor;
    let pages = 0;
    for (;;) {
      const here = { ...call, page: pages + 1, ...(cursor ? { cursor } : {}) };
      const { value } = await this.call(method, here, () => page(cursor));
      if (!value || typeof value !== 'object' || !Array.isArray(value.items)) {
        if (value !== undefined) {
          this.report.check('pagination', method, here, 'the page has no items array; walk stopped', {
            value: render(value),
          });
        }
        return { items, pages, complete: false };
      }
      pages += 1;
      if (value.items.length > limit) {
        this.report.check('pagination', method, here, `page of ${value.items.length} items exceeds limit ${limit}`);
      }
      for (const item of value.items) {
        const id = item?.id;
        if (seen.has(id)) {
          this.report.check('pagination', method, here, `id ${id} already came on page ${seen.get(id)}`);
        } else {
          seen.set(id, pages);
          items.push(item);
        }
      }
      const next = value.cursor;
      if (next === null) return { items, pages, complete: true };
      if (typeof next !== 'string' || next === '') {
        this.report.check('pagination', method, here, 'the walk ended without `cursor: null`', {
          value: render(next),
        });
        return { items, pages, complete: false };
      }
      if (cursors.has(next)) {
        this.report.check('pagination', method, here, 'a cursor came back a second time; walk stopped', {
          value: render(next),
        });
        return { items, pages, complete: false };
      }
      if (pages >= MAX_PAGES) {
        this.report.check('pagination', method, here, `no \`cursor: null\` after ${MAX_PAGES} pages`);
        return { items, pages, complete: false };
      }
      cursors.add(next);
      cursor = next;
    }
  }
}

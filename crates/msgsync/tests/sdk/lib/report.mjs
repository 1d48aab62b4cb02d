// What the run found: every call counted, every failure kept (validation, HTTP, thrown,
// pagination, consistency, coverage), grouped for the summary printed on stdout.

import { createRequire } from 'node:module';

// TypeBox is read through the SDK's own resolution, so that the custom kinds the SDK registers
// (UTCDateTimeMs, EncodedQueryCursor, StringEnum) are known to the `Errors` used below.
const require = createRequire(import.meta.url);
const sdkRequire = createRequire(require.resolve('unipile-node-sdk'));
const { Errors, ValueErrorType } = sdkRequire('@sinclair/typebox/errors');

const KIND = Symbol.for('TypeBox.Kind');
const HINT = Symbol.for('TypeBox.Hint');

/** Examples kept per group of failures in the summary (all of them with `--full`). */
const EXAMPLES_PER_GROUP = 3;
/** Longest rendering of an offending value. */
const VALUE_CHARS = 300;
/** Union errors are explained through nested unions at most this deep. */
const UNION_DEPTH = 6;

export function truncate(text, max = VALUE_CHARS) {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export function render(value) {
  if (value === undefined) return 'undefined (absent)';
  if (typeof Blob !== 'undefined' && value instanceof Blob) {
    return `Blob(type=${JSON.stringify(value.type)}, size=${value.size})`;
  }
  try {
    return truncate(JSON.stringify(value));
  } catch {
    return truncate(String(value));
  }
}

/** What a schema accepts, in words. */
export function describe(schema, depth = 0) {
  if (!schema || typeof schema !== 'object') return 'anything';
  if ('const' in schema) return JSON.stringify(schema.const);
  const named = schema.title ? `${schema.title}: ` : '';
  switch (schema[KIND]) {
    case 'String': {
      const rules = [];
      if (schema.minLength) rules.push(`minLength ${schema.minLength}`);
      if (schema.pattern) rules.push(`pattern ${schema.pattern}`);
      return `${named}string${rules.length ? ` (${rules.join(', ')})` : ''}`;
    }
    case 'Number':
    case 'Integer':
    case 'Boolean':
    case 'Null':
      return schema[KIND].toLowerCase();
    case 'Unknown':
    case 'Any':
      return 'anything';
    case 'Array':
      return depth > 1 ? 'array' : `array of ${describe(schema.items, depth + 1)}`;
    case 'Record':
      return 'object (map)';
    case 'Object': {
      const keys = schema.required ?? [];
      const shown = keys.slice(0, 8).join(', ');
      return `${named}object${keys.length ? ` with ${shown}${keys.length > 8 ? ', …' : ''}` : ''}`;
    }
    case 'Union': {
      const parts = schema.anyOf.map((s) => describe(s, depth + 1));
      const joined = truncate(parts.join(' | '), 240);
      return schema[HINT] === 'Enum' ? `enum ${joined}` : `${named}${joined}`;
    }
    case 'UTCDateTimeMs':
      return 'ISO 8601 UTC date-time with milliseconds, exactly new Date(x).toISOString() (YYYY-MM-DDTHH:MM:SS.sssZ)';
    case 'EncodedQueryCursor':
      return 'standard base64 string (A-Z a-z 0-9 + / and = padding, length a multiple of 4)';
    case 'StringEnum':
      return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(' | ')}`;
    case 'NumberEnum':
      return `one of ${schema.enum.join(' | ')}`;
    default:
      return schema[KIND] ? String(schema[KIND]) : 'anything';
  }
}

function isObjectSchema(schema) {
  return schema && schema[KIND] === 'Object';
}

/** A discriminating literal of an object variant mismatched (`/type`, `/object`, …). */
function discriminatorMisses(errors) {
  return errors.filter(
    (e) => e.type === ValueErrorType.Literal && e.path.split('/').length === 2,
  ).length;
}

/**
 * The leaves of a TypeBox error: the error itself, or for a union (which TypeBox reports as a
 * bare "Expected union value") what the closest variant rejects.
 */
function explain(error, depth = 0) {
  const leaf = {
    path: error.path || '/',
    message: error.message,
    expected: describe(error.schema),
    value: error.value,
  };
  if (error.type !== ValueErrorType.Union || depth >= UNION_DEPTH) return [leaf];
  const variants = error.schema.anyOf ?? [];
  if (!variants.some(isObjectSchema)) return [leaf];
  let best = null;
  for (const variant of variants) {
    const errs = withoutEchoes([...Errors(variant, error.value)]);
    const score = [discriminatorMisses(errs), errs.length];
    if (!best || score[0] < best.score[0] || (score[0] === best.score[0] && score[1] < best.score[1])) {
      best = { variant, errs, score };
    }
  }
  if (!best || best.errs.length === 0) return [leaf];
  const via = best.variant.title ? `${best.variant.title} variant` : 'closest variant';
  return best.errs.flatMap((e) =>
    explain({ ...e, path: `${error.path}${e.path}` }, depth + 1).map((l) => ({
      ...l,
      union: l.union ? `${via} > ${l.union}` : via,
    })),
  );
}

/**
 * TypeBox reports a missing property twice: "Required property", then the property's own
 * type error on `undefined`. The second says nothing more.
 */
function withoutEchoes(errors) {
  const missing = new Set(
    errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path),
  );
  return errors.filter(
    (e) => e.type === ValueErrorType.ObjectRequiredProperty || !(e.value === undefined && missing.has(e.path)),
  );
}

/** The leaves of all errors of one answer. */
export function leavesOf(errors) {
  return withoutEchoes(errors).flatMap((e) => explain(e));
}

/** `/items/12/attachments/0/size` → `/items/*​/attachments/*​/size`. */
function normalize(path) {
  return path.replace(/\/\d+(?=\/|$)/g, '/*');
}

/**
 * Names what `path` points into for the reader: the innermost API object on the way (one with
 * an `object` field, and its id), then the innermost list element with an id below it
 * (an attachment, a source).
 */
export function objectAt(root, path) {
  const label = (node) =>
    `${node.id !== undefined ? ` ${node.id}` : ''}${['string', 'number'].includes(typeof node.type) ? ` (type ${node.type})` : ''}`;
  let node = root;
  let name = root && typeof root === 'object' && typeof root.object === 'string' ? root.object : 'answer';
  let inner = '';
  let key = '';
  for (const part of path.split('/').filter(Boolean)) {
    if (!node || typeof node !== 'object') break;
    const parent = node;
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!node || typeof node !== 'object' || Array.isArray(node)) {
      key = part;
      continue;
    }
    if (typeof node.object === 'string') {
      name = `${node.object}${label(node)}`;
      inner = '';
    } else if (Array.isArray(parent) && node.id !== undefined) {
      inner = ` > ${key}[${part}]${label(node)}`;
    }
    key = part;
  }
  return `${name}${inner}`;
}

export class Report {
  constructor() {
    this.calls = {};
    this.failures = [];
  }

  count(method) {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  add(failure) {
    this.failures.push(failure);
  }

  /** An answer the SDK rejected: one failure per leaf error. */
  validation(method, call, sdkErrors, answer) {
    for (const leaf of leavesOf(sdkErrors)) {
      this.add({
        kind: 'validation',
        method,
        call,
        object: objectAt(answer, leaf.path),
        path: leaf.path,
        message: leaf.message,
        expected: leaf.expected,
        value: render(leaf.value),
        ...(leaf.union ? { union: leaf.union } : {}),
      });
    }
  }

  http(method, call, body) {
    const envelope = body && typeof body === 'object' && !(body instanceof Blob) ? body : null;
    this.add({
      kind: 'http',
      method,
      call,
      status: envelope?.status ?? 'unknown (no JSON envelope)',
      type: envelope?.type ?? null,
      detail: envelope?.detail ?? render(body),
    });
  }

  thrown(method, call, error) {
    this.add({
      kind: 'thrown',
      method,
      call,
      error: `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`,
      stack: truncate(String(error?.stack ?? ''), 600),
    });
  }

  check(kind, method, call, message, details = {}) {
    this.add({ kind, method, call, message, ...details });
  }

  /** Failures grouped by what went wrong, each with a count and a few examples. */
  grouped(full) {
    const groups = new Map();
    for (const f of this.failures) {
      const key = [
        f.kind,
        f.method,
        f.path ? normalize(f.path) : '',
        f.message ?? '',
        f.expected ?? '',
        f.status ?? '',
        f.type ?? '',
        f.error ?? '',
      ].join('\u0000');
      let group = groups.get(key);
      if (!group) {
        group = {
          kind: f.kind,
          method: f.method,
          ...(f.path ? { path: normalize(f.path) } : {}),
          ...(f.message ? { message: f.message } : {}),
          ...(f.expected ? { expected: f.expected } : {}),
          ...(f.status !== undefined ? { status: f.status, type: f.type } : {}),
          ...(f.error ? { error: f.error } : {}),
          count: 0,
          examples: [],
        };
        groups.set(key, group);
      }
      group.count += 1;
      if (full || group.examples.length < EXAMPLES_PER_GROUP) {
        const { kind, method, message, expected, status, type, error, ...example } = f;
        group.examples.push(example);
      }
    }
    return [...groups.values()];
  }
}

// A resync through the SDK: `resyncLinkedinAccount` asked, then polled to its outcome.

import { render } from './report.mjs';

/** How long a resync may take, and how often it is polled. */
const RESYNC_DEADLINE_MS = 120_000;
const RESYNC_POLL_MS = 100;

/** Starts a resync of a LinkedIn account and polls it; records anything but `SYNC_DONE`. */
export async function resync({ client, caller, report, log }, accountId, params = {}) {
  const call = { account_id: accountId, ...params };
  const ask = () =>
    caller.call('account.resyncLinkedinAccount', call, () =>
      client.account.resyncLinkedinAccount({ account_id: accountId, ...params }),
    );
  log(`account ${accountId}: resync ${JSON.stringify(params)}`);
  let answer = await ask();
  // An outcome nobody had read yet is reported first; the next request starts the sync.
  if (['SYNC_DONE', 'SYNC_ERROR'].includes(answer.value?.status)) answer = await ask();
  if (answer.value && !['SYNC_STARTED', 'SYNC_RUNNING'].includes(answer.value.status)) {
    report.check('consistency', 'account.resyncLinkedinAccount', call, 'the request did not start a sync', {
      value: render(answer.value),
    });
    return false;
  }
  const deadline = Date.now() + RESYNC_DEADLINE_MS;
  while (answer.value && ['SYNC_STARTED', 'SYNC_RUNNING'].includes(answer.value.status)) {
    if (Date.now() > deadline) {
      report.check('consistency', 'account.resyncLinkedinAccount', call, `no outcome within ${RESYNC_DEADLINE_MS} ms`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, RESYNC_POLL_MS));
    answer = await ask();
  }
  if (answer.value && answer.value.status !== 'SYNC_DONE') {
    report.check('consistency', 'account.resyncLinkedinAccount', call, 'the resync did not end in SYNC_DONE', {
      value: render(answer.value),
    });
    return false;
  }
  return Boolean(answer.value);
}

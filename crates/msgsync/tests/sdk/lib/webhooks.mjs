// The webhook registration API through the SDK's `client.webhook`: create (both sources, with
// headers, an account filter and a `data` renaming), list, delete, list again.

/** A public address (no DNS involved); nothing is delivered to it during the run. */
const REQUEST_URL = 'https://93.184.215.14/hooks/sdk-conformance';

export async function webhooks(ctx, accountIds) {
  const { client, caller, report } = ctx;
  const bodies = [
    {
      request_url: REQUEST_URL,
      name: 'sdk-conformance status',
      source: 'account_status',
      account_ids: accountIds.slice(0, 1),
      headers: [{ key: 'X-Conformance', value: 'yes' }],
    },
    {
      request_url: REQUEST_URL,
      name: 'sdk-conformance messages',
      source: 'messaging',
      format: 'json',
      enabled: false,
      data: [
        { name: 'msg', key: 'message' },
        { name: 'from', key: 'sender' },
      ],
    },
  ];
  const created = [];
  for (const body of bodies) {
    const { value } = await caller.call('webhook.create', body, () => client.webhook.create(body));
    if (value?.object !== 'WebhookCreated' || typeof value.webhook_id !== 'string') {
      report.check('consistency', 'webhook.create', body, 'the answer is not WebhookCreated', { value });
      continue;
    }
    created.push(value.webhook_id);
  }
  const { value: list } = await caller.call('webhook.getAll', {}, () => client.webhook.getAll());
  const listed = new Map((list?.items ?? []).map((w) => [w.id, w]));
  for (const id of created) {
    if (!listed.has(id)) report.check('consistency', 'webhook.getAll', {}, `webhook ${id} is not listed`);
  }
  const status = listed.get(created[0]);
  if (status && (status.account_ids?.[0]?.id !== accountIds[0] || status.headers?.[0]?.key !== 'X-Conformance')) {
    report.check('consistency', 'webhook.getAll', {}, 'the account_status webhook is not listed as registered', { status });
  }
  for (const id of created) {
    const { value } = await caller.call('webhook.delete', { id }, () => client.webhook.delete(id));
    if (value?.object !== 'WebhookDeleted') {
      report.check('consistency', 'webhook.delete', { id }, 'the answer is not WebhookDeleted', { value });
    }
  }
  const { value: after } = await caller.call('webhook.getAll', {}, () => client.webhook.getAll());
  for (const w of after?.items ?? []) {
    if (created.includes(w.id)) report.check('consistency', 'webhook.delete', { id: w.id }, 'a deleted webhook is still listed');
  }
}

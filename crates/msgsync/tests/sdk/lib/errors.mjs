// What the SDK sees when a call fails: an `UnsuccessfulRequestError` whose body is the error
// envelope (`title`, `type`, `status`, `detail`, `instance`), for unknown and malformed ids, a
// bad cursor, an unknown key, a missing attachment, and an account deleted through the SDK.
//
// A 404 from a route the server does not have looks like a 404 for an unknown id, so each check
// first calls its route with a real id (a "witness", recorded like any other call): only a
// route that answers it proves anything with its 404.

import { UnipileClient, UnsuccessfulRequestError } from 'unipile-node-sdk';

import { VALIDATION } from './options.mjs';
import { render } from './report.mjs';
import { resync } from './resync.mjs';

/** A well-formed ULID no server will have generated. */
const UNKNOWN_ULID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const UNKNOWN = {
  chat: `chat_${UNKNOWN_ULID}`,
  message: `msg_${UNKNOWN_ULID}`,
  attendee: `att_${UNKNOWN_ULID}`,
  account: `acc_${UNKNOWN_ULID}`,
};
/** A check's witness when an earlier check already showed that the route exists. */
const SHOWN = Symbol('shown');
/** Page size when looking through the scratch account for real ids. */
const SCRATCH_PAGE = 100;

/** Checks that `outcome` is an `UnsuccessfulRequestError` carrying the envelope of `status`/`type`. */
function expectEnvelope(report, method, call, outcome, status, type) {
  const fail = (message, details = {}) =>
    report.check('error-shape', method, call, message, { expected: `${status} errors/${type}`, ...details });
  if (!outcome.error) {
    fail('the call succeeded where an error was expected', { value: render(outcome.value) });
    return;
  }
  if (!(outcome.error instanceof UnsuccessfulRequestError)) return; // recorded as thrown
  const body = outcome.error.body;
  if (!body || typeof body !== 'object' || body instanceof Blob) {
    fail('the error body is not JSON (the SDK parses only application/json)', { value: render(body) });
    return;
  }
  const wrong = [];
  if (body.status !== status) wrong.push(`status ${render(body.status)}`);
  if (body.type !== `errors/${type}`) wrong.push(`type ${render(body.type)}`);
  if (typeof body.title !== 'string' || body.title === '') wrong.push(`title ${render(body.title)}`);
  if (typeof body.detail !== 'string' || body.detail === '') wrong.push(`detail ${render(body.detail)}`);
  if (body.instance !== undefined && (typeof body.instance !== 'string' || !body.instance.startsWith('/api/v1/'))) {
    wrong.push(`instance ${render(body.instance)}`);
  }
  if (wrong.length) fail(`envelope fields wrong: ${wrong.join(', ')}`, { value: render(body) });
}

/**
 * Runs the error checks. `walked` holds real ids from the walk (`account_id`, `chat_id`,
 * `message_id`, `attendee_id`, `attachment`); without them the scratch account is resynced
 * through the SDK to find some.
 */
export async function checkErrors(ctx, walked = {}) {
  const { client, caller, report, opts, log } = ctx;
  const m = client.messaging;
  // Witnesses and the scratch account's ids are read without validation: whether those answers
  // have the SDK's shapes is the walk's business; here they only show that a route exists.
  const raw = new UnipileClient(opts.baseUrl, opts.key, { validateRequestPayload: false });
  const r = raw.messaging;
  const scratch = opts.scratchCredential ? await connectScratch(ctx) : null;
  const real = walked.message_id || !scratch ? walked : await scratchSample({ ...ctx, client: raw }, scratch);

  log('errors: unknown and malformed ids, bad cursor, unknown key, missing attachment');
  const check = async (method, witness, call, run, status, type) => {
    if (witness === SHOWN) {
      // The route answered a real id in an earlier check.
    } else if (witness) {
      const shown = await caller.call(method, witness.call, witness.run);
      if (!shown.value) return; // the route failed on a real id: recorded, and its 404 means nothing
    } else {
      report.check('coverage', method, call, 'no real id to show that the route exists, so its error proves nothing');
    }
    const outcome = await caller.call(method, call, run, { expectError: true });
    expectEnvelope(report, method, call, outcome, status, type);
  };
  const w = (id, run) => (id ? { call: { real: id }, run } : null);
  const notFound = [404, 'resource_not_found'];

  await check('messaging.getChat', w(real.chat_id, () => r.getChat(real.chat_id)),
    { chat_id: UNKNOWN.chat }, () => m.getChat(UNKNOWN.chat), ...notFound);
  await check('messaging.getChat', w(real.chat_id, () => r.getChat(real.chat_id)),
    { chat_id: 'not-a-chat-id' }, () => m.getChat('not-a-chat-id'), 404, 'invalid_resource_identifier');
  await check('messaging.getAllMessagesFromChat',
    w(real.chat_id, () => r.getAllMessagesFromChat({ chat_id: real.chat_id, limit: 1 })),
    { chat_id: UNKNOWN.chat }, () => m.getAllMessagesFromChat({ chat_id: UNKNOWN.chat }), ...notFound);
  await check('messaging.getAllAttendeesFromChat', w(real.chat_id, () => r.getAllAttendeesFromChat(real.chat_id)),
    { chat_id: UNKNOWN.chat }, () => m.getAllAttendeesFromChat(UNKNOWN.chat), ...notFound);
  await check('messaging.getMessage', w(real.message_id, () => r.getMessage(real.message_id)),
    { message_id: UNKNOWN.message }, () => m.getMessage(UNKNOWN.message), ...notFound);
  await check('messaging.getAttendee', w(real.attendee_id, () => r.getAttendee(real.attendee_id)),
    { attendee_id: UNKNOWN.attendee }, () => m.getAttendee(UNKNOWN.attendee), ...notFound);
  await check('messaging.getAllChatsFromAttendee',
    w(real.attendee_id, () => r.getAllChatsFromAttendee({ attendee_id: real.attendee_id, limit: 1 })),
    { attendee_id: UNKNOWN.attendee }, () => m.getAllChatsFromAttendee({ attendee_id: UNKNOWN.attendee }), ...notFound);
  await check('messaging.getAllMessagesFromAttendee',
    w(real.attendee_id, () => r.getAllMessagesFromAttendee({ attendee_id: real.attendee_id, limit: 1 })),
    { attendee_id: UNKNOWN.attendee }, () => m.getAllMessagesFromAttendee({ attendee_id: UNKNOWN.attendee }), ...notFound);
  await check('messaging.getMessageAttachment', real.attachment ? { call: real.attachment, run: () => r.getMessageAttachment(real.attachment) } : null,
    { message_id: real.message_id, attachment_id: 'no-such-attachment' },
    () => m.getMessageAttachment({ message_id: real.message_id ?? UNKNOWN.message, attachment_id: 'no-such-attachment' }),
    ...notFound);
  const account = real.account_id ?? scratch;
  await check('account.getOne', w(account, () => raw.account.getOne(account)),
    { account_id: UNKNOWN.account }, () => client.account.getOne(UNKNOWN.account), ...notFound);
  await check('messaging.getAllChats', { call: { limit: 1 }, run: () => r.getAllChats({ limit: 1 }) },
    { cursor: 'not a cursor' }, () => m.getAllChats({ cursor: 'not a cursor' }), 400, 'invalid_parameters');
  const stranger = new UnipileClient(opts.baseUrl, 'pp_test_thisKeyDoesNotExist0000000000', VALIDATION);
  await check('account.getAll', { call: { limit: 1 }, run: () => raw.account.getAll({ limit: 1 }) },
    { key: 'unknown' }, () => stranger.account.getAll(), 401, 'invalid_credentials');

  if (scratch) await deleteScratch(ctx, scratch, check);
}

/** Connects the throwaway LinkedIn account through the SDK; returns its id. */
async function connectScratch({ client, caller, report, opts, log }) {
  log('errors: connect a scratch account through the SDK');
  const access_token = opts.scratchCredential;
  const created = await caller.call('account.connectLinkedinWithCookie', { access_token }, () =>
    client.account.connectLinkedinWithCookie({ access_token }),
  );
  const id = created.value?.account_id;
  if (typeof id === 'string') return id;
  report.check('coverage', 'account.connectLinkedinWithCookie', { access_token }, 'no scratch account: connecting it failed');
  return null;
}

/** Resyncs the scratch account through the SDK and picks real ids from what it synced. */
async function scratchSample(ctx, accountId) {
  const m = ctx.client.messaging;
  const sample = { account_id: accountId };
  if (!(await resync(ctx, accountId))) return sample;
  const chats = await ctx.caller.call('messaging.getAllChats', { account_id: accountId, limit: SCRATCH_PAGE }, () =>
    m.getAllChats({ account_id: accountId, limit: SCRATCH_PAGE }),
  );
  for (const chat of chats.value?.items ?? []) {
    sample.chat_id ??= chat.id;
    if (!sample.attendee_id) {
      const att = await ctx.caller.call('messaging.getAllAttendeesFromChat', { chat_id: chat.id }, () =>
        m.getAllAttendeesFromChat(chat.id),
      );
      sample.attendee_id = att.value?.items?.[0]?.id;
    }
    const msgs = await ctx.caller.call('messaging.getAllMessagesFromChat', { chat_id: chat.id, limit: SCRATCH_PAGE }, () =>
      m.getAllMessagesFromChat({ chat_id: chat.id, limit: SCRATCH_PAGE }),
    );
    for (const msg of msgs.value?.items ?? []) {
      sample.message_id ??= msg.id;
      sample.attendee_id ??= typeof msg.sender_attendee_id === 'string' ? msg.sender_attendee_id : undefined;
      const file = (msg.attachments ?? []).find((a) => a.unavailable !== true && a.type !== 'linkedin_post');
      if (file && !sample.attachment) sample.attachment = { message_id: msg.id, attachment_id: file.id };
    }
  }
  return sample;
}

/** Deletes the scratch account through the SDK and checks that it is gone. */
async function deleteScratch({ client, caller, report, log }, id, check) {
  log('errors: delete the scratch account through the SDK');
  const deleted = await caller.call('account.delete', { account_id: id }, () => client.account.delete(id));
  if (deleted.value && deleted.value.object !== 'AccountDeleted') {
    report.check('consistency', 'account.delete', { account_id: id }, 'the answer is not AccountDeleted', {
      value: render(deleted.value),
    });
  }
  if (!deleted.value) return;
  await check('account.getOne', SHOWN, { account_id: id, after: 'delete' },
    () => client.account.getOne(id), 404, 'resource_not_found');
}

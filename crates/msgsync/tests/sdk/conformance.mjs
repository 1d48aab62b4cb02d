#!/usr/bin/env node
// Drives a msgsync server through the published Unipile Node SDK with response validation at
// level `error`, and checks that every answer passes, that lists page correctly, that the
// routes agree with each other, and that errors come in the envelope. Collects every failure,
// prints a JSON summary on stdout (progress goes to stderr) and exits 1 on any failure.
//
//   node conformance.mjs --base-url http://127.0.0.1:8080 --key pp_test_… [--account acc_…]…
//
// See README.md beside this file for every option.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { UnipileClient } from 'unipile-node-sdk';

import { Caller } from './lib/calls.mjs';
import { checkErrors } from './lib/errors.mjs';
import { VALIDATION } from './lib/options.mjs';
import { Report, render } from './lib/report.mjs';
import { resync } from './lib/resync.mjs';
import { accountState, downloadAttachments, visitAccount } from './lib/visit.mjs';
import { webhooks } from './lib/webhooks.mjs';

/** Every SDK method the walk must have called at least once. */
const REQUIRED_METHODS = [
  'account.getAll',
  'account.getOne',
  'messaging.getAllChats',
  'messaging.getChat',
  'messaging.getAllMessagesFromChat',
  'messaging.getAllAttendeesFromChat',
  'messaging.getMessage',
  'messaging.getAllMessages',
  'messaging.getAllMessagesFromAttendee',
  'messaging.getAllChatsFromAttendee',
  'messaging.getMessageAttachment',
  'messaging.getAllAttendees',
  'messaging.getAttendee',
  'webhook.create',
  'webhook.getAll',
  'webhook.delete',
];
const DAY_MS = 86_400_000;

const USAGE = `usage: node conformance.mjs --base-url URL --key KEY [options]
  --base-url URL            the server (default: $MSGSYNC_URL)
  --key KEY                 an API key (default: $MSGSYNC_API_KEY)
  --account ID              visit this account (repeatable; default: every listed account)
  --limit N                 page size of chats, messages of a chat, attendees (default 7)
  --messages-limit N        page size of getAllMessages (default 50)
  --expect JSON             per account id: {"chats":N,"messages":N,"chat_types":[0,1,2],
                            "inmail_folders":["INBOX_LINKEDIN_RECRUITER"],"attachment_types":["img"]}
  --scratch-credential S    connect a throwaway LinkedIn account with this access_token through
                            the SDK and delete it (test keys: "sandbox:chats=1,messages=1")
  --no-delete               do not require account.delete (no scratch account)
  --no-resync               do not drive resyncLinkedinAccount
  --only walk|errors        run only the walk of the synced data, or only the error checks
  --full                    every failure in the summary, not 3 examples per group`;

function options() {
  const { values } = parseArgs({
    options: {
      'base-url': { type: 'string', default: process.env.MSGSYNC_URL },
      key: { type: 'string', default: process.env.MSGSYNC_API_KEY },
      account: { type: 'string', multiple: true, default: [] },
      limit: { type: 'string', default: '7' },
      'messages-limit': { type: 'string', default: '50' },
      expect: { type: 'string', default: '{}' },
      'scratch-credential': { type: 'string' },
      'no-delete': { type: 'boolean', default: false },
      'no-resync': { type: 'boolean', default: false },
      only: { type: 'string' },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const limit = Number(values.limit);
  const messagesLimit = Number(values['messages-limit']);
  const problems = [];
  if (values.help) problems.push('');
  if (!values['base-url']) problems.push('--base-url is required');
  if (!values.key) problems.push('--key is required');
  if (!(limit >= 1) || !(messagesLimit >= 1)) problems.push('limits must be positive integers');
  if (values.only && !['walk', 'errors'].includes(values.only)) problems.push('--only takes walk or errors');
  let expect;
  try {
    expect = JSON.parse(values.expect);
  } catch (e) {
    problems.push(`--expect is not JSON: ${e.message}`);
  }
  if (problems.length) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    process.exit(2);
  }
  return {
    baseUrl: values['base-url'].replace(/\/+$/, ''),
    key: values.key,
    accounts: values.account,
    limit,
    messagesLimit,
    expect,
    scratchCredential: values['scratch-credential'],
    requireDelete: !values['no-delete'],
    resync: !values['no-resync'],
    walk: values.only !== 'errors',
    errors: values.only !== 'walk',
    full: values.full,
  };
}

const started = Date.now();
function log(line) {
  console.error(`[sdk-conformance +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
}

/** Real ids from the walk, to show that the routes the error checks call exist. */
function sampleOf(states) {
  const sample = {};
  for (const s of states) {
    const msg = s.messages.values().next().value;
    if (msg && !sample.message_id) Object.assign(sample, { account_id: s.id, chat_id: msg.chat_id, message_id: msg.id });
    const att = s.attendees.values().next().value;
    if (att && !sample.attendee_id) sample.attendee_id = att;
    // A downloaded file (a shared post is a link, whose route answers 404).
    const file = Object.values(s.downloaded).find((d) => d.bytes !== undefined);
    if (file && !sample.attachment) sample.attachment = { message_id: file.message_id, attachment_id: file.attachment_id };
  }
  return sample;
}

/** What must have been seen for the run to mean anything. */
function checkCoverage(ctx, states) {
  const { report, opts } = ctx;
  const missing = (method, message) => report.check('coverage', method, {}, message);
  if (opts.walk) {
    if (states.length === 0) missing('account.getAll', 'no account to visit');
    for (const method of REQUIRED_METHODS) {
      if (!report.calls[method]) missing(method, 'never called: nothing to call it on');
    }
    if (opts.resync && !report.calls['account.resyncLinkedinAccount']) {
      missing('account.resyncLinkedinAccount', 'no LinkedIn account visited (pass --no-resync to skip)');
    }
  }
  if (opts.errors && opts.requireDelete && !report.calls['account.delete']) {
    missing('account.delete', 'not driven: pass --scratch-credential (or --no-delete)');
  }
  for (const s of states) {
    const where = { account_id: s.id };
    const need = (ok, message) => ok || report.check('coverage', 'account', where, message);
    need(s.chats > 0, 'no chat visited');
    need(s.messages.size > 0, 'no message visited');
    need(s.attendees.size > 0, 'no attendee visited');
    for (const type of new Set(s.attachments.map((a) => a.type))) {
      need(s.downloaded[type], `no attachment of type ${type} downloaded with the right size (or, for a shared post, its link)`);
    }
    const e = opts.expect[s.id] ?? {};
    if (e.chats !== undefined) need(s.chats === e.chats, `${s.chats} chats, expected ${e.chats}`);
    if (e.messages !== undefined) need(s.messages.size === e.messages, `${s.messages.size} messages, expected ${e.messages}`);
    for (const t of e.chat_types ?? []) need(s.chatTypes[t] > 0, `no chat of type ${t}`);
    for (const f of e.inmail_folders ?? []) need(s.inmailFolders[f] > 0, `no InMail chat (content_type "inmail") in folder ${f}`);
    for (const t of e.attachment_types ?? []) {
      need(s.attachments.some((a) => a.type === t), `no attachment of type ${t}`);
    }
  }
  for (const id of Object.keys(opts.expect)) {
    if (!states.some((s) => s.id === id)) missing('account.getAll', `expected account ${id} was not visited`);
  }
}

/** The SDK's own package.json (its `exports` do not include it: found from its entry point). */
function sdkPackage() {
  const entry = createRequire(import.meta.url).resolve('unipile-node-sdk');
  return JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8'));
}

function summary(ctx, states) {
  const { report, opts } = ctx;
  const sdk = sdkPackage();
  const byKind = {};
  for (const f of report.failures) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  return {
    ok: report.failures.length === 0,
    sdk: `${sdk.name}@${sdk.version}`,
    base_url: opts.baseUrl,
    limits: { limit: opts.limit, messages_limit: opts.messagesLimit },
    visited: states.map((s) => ({
      account_id: s.id,
      provider: s.provider,
      chats: s.chats,
      chat_types: s.chatTypes,
      inmail_folders: s.inmailFolders,
      messages: s.messages.size,
      attachments: s.attachments.reduce((acc, a) => ({ ...acc, [a.type]: (acc[a.type] ?? 0) + 1 }), {}),
      attachments_downloaded: s.downloaded,
      attendees: s.attendees.size,
      max_pages: s.pages,
    })),
    calls: report.calls,
    failures_total: report.failures.length,
    failures_by_kind: byKind,
    failures: report.grouped(opts.full),
  };
}

async function main() {
  const opts = options();
  const report = new Report();
  const caller = new Caller(report, log);
  const client = new UnipileClient(opts.baseUrl, opts.key, VALIDATION);
  const ctx = { client, caller, report, opts, log };
  const states = [];
  let sample;

  try {
    if (opts.walk) {
      log('accounts');
      const listed = await caller.walk('account.getAll', {}, 1, (cursor) => client.account.getAll({ limit: 1, cursor }));
      const ids = opts.accounts.length ? opts.accounts : listed.items.map((a) => a.id);
      for (const id of ids) {
        if (listed.complete && !listed.items.some((a) => a.id === id)) {
          report.check('consistency', 'account.getAll', { account_id: id }, 'the account is missing from the list');
        }
        const one = await caller.call('account.getOne', { account_id: id }, () => client.account.getOne(id));
        if (!one.value) continue;
        if (one.value.id !== id) report.check('consistency', 'account.getOne', { account_id: id }, 'another account came back', { value: render(one.value.id) });
        states.push(accountState({ id, type: one.value.type }));
      }
      for (const state of states) {
        await visitAccount(ctx, state);
        await downloadAttachments(ctx, state);
      }
      sample = sampleOf(states);
      log('messages across accounts, first page');
      await caller.call('messaging.getAllMessages', { limit: opts.limit }, () => client.messaging.getAllMessages({ limit: opts.limit }));
      log('webhooks');
      await webhooks(ctx, states.map((s) => s.id));
      if (opts.resync) {
        for (const state of states.filter((s) => s.provider === 'LINKEDIN')) {
          await resync(ctx, state.id);
          await resync(ctx, state.id, { linkedin_product: 'classic', after: Date.now() - 90 * DAY_MS });
        }
      }
    }
    if (opts.errors) {
      await checkErrors(ctx, sample);
    }
  } catch (error) {
    report.thrown('conformance.mjs', {}, error);
  }
  checkCoverage(ctx, states);

  const out = summary(ctx, states);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  log(out.ok ? `ok: ${Object.values(report.calls).reduce((a, b) => a + b, 0)} calls` : `${out.failures_total} failures in ${out.failures.length} groups`);
  process.exitCode = out.ok ? 0 : 1;
}

await main();

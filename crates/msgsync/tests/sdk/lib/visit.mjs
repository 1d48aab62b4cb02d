// The walk of one account's synced data through the SDK: its chats page by page, each chat,
// its messages and attendees, every attendee with its chats and messages, the messages across
// chats, a sample of single messages. Checks that what one route says agrees with the others.

import { render } from './report.mjs';

/** A fresh record of what was visited in one account. */
export function accountState(account) {
  return {
    id: account.id,
    provider: account.type,
    chats: 0,
    chatTypes: {},
    inmailFolders: {},
    messages: new Map(),
    attendees: new Set(),
    attachments: [],
    downloaded: {},
    pages: {},
  };
}

function notePages(state, method, pages) {
  state.pages[method] = Math.max(state.pages[method] ?? 0, pages);
}

export async function visitAccount(ctx, state) {
  const { client, caller, report, opts, log } = ctx;
  const m = client.messaging;
  const accountId = state.id;
  const mismatch = (method, call, what, value) =>
    report.check('consistency', method, call, what, { value: render(value) });

  log(`account ${accountId} (${state.provider}): chats`);
  const chatWalk = await caller.walk('messaging.getAllChats', { account_id: accountId }, opts.limit, (cursor) =>
    m.getAllChats({ account_id: accountId, limit: opts.limit, cursor }),
  );
  notePages(state, 'messaging.getAllChats', chatWalk.pages);
  const chatAttendees = new Map(); // attendee id → a chat that lists it
  for (const chat of chatWalk.items) {
    const call = { chat_id: chat.id };
    state.chats += 1;
    state.chatTypes[chat.type] = (state.chatTypes[chat.type] ?? 0) + 1;
    if (chat.account_id !== accountId) mismatch('messaging.getAllChats', call, 'chat of another account', chat.account_id);
    if (chat.content_type === 'inmail') {
      for (const folder of Array.isArray(chat.folder) ? chat.folder : []) {
        state.inmailFolders[folder] = (state.inmailFolders[folder] ?? 0) + 1;
      }
    }

    const one = await caller.call('messaging.getChat', call, () => m.getChat(chat.id));
    if (one.value && (one.value.id !== chat.id || one.value.type !== chat.type)) {
      mismatch('messaging.getChat', call, 'getChat differs from the listed chat (id or type)', one.value);
    }
    if (one.value?.lastMessage && one.value.lastMessage.chat_id !== chat.id) {
      mismatch('messaging.getChat', call, 'lastMessage belongs to another chat', one.value.lastMessage.chat_id);
    }

    const msgWalk = await caller.walk('messaging.getAllMessagesFromChat', call, opts.limit, (cursor) =>
      m.getAllMessagesFromChat({ chat_id: chat.id, limit: opts.limit, cursor }),
    );
    notePages(state, 'messaging.getAllMessagesFromChat', msgWalk.pages);
    for (const msg of msgWalk.items) {
      if (msg.chat_id !== chat.id || msg.account_id !== accountId) {
        mismatch('messaging.getAllMessagesFromChat', call, 'message of another chat or account', {
          id: msg.id, chat_id: msg.chat_id, account_id: msg.account_id,
        });
      }
      state.messages.set(msg.id, msg);
      for (const a of Array.isArray(msg.attachments) ? msg.attachments : []) {
        state.attachments.push({ ...a, message_id: msg.id });
      }
    }
    const first = msgWalk.items[0];
    if (first) {
      const got = await caller.call('messaging.getMessage', { message_id: first.id }, () => m.getMessage(first.id));
      if (got.value && (got.value.id !== first.id || got.value.chat_id !== chat.id)) {
        mismatch('messaging.getMessage', { message_id: first.id }, 'getMessage differs from the listed message', got.value);
      }
    }

    const att = await caller.call('messaging.getAllAttendeesFromChat', call, () => m.getAllAttendeesFromChat(chat.id));
    const listed = Array.isArray(att.value?.items) ? att.value.items : [];
    if (att.value && listed.length === 0) {
      mismatch('messaging.getAllAttendeesFromChat', call, 'a chat without attendees (not even the account owner)', att.value);
    }
    for (const a of listed) {
      if (a.account_id !== accountId) mismatch('messaging.getAllAttendeesFromChat', call, 'attendee of another account', a);
      if (typeof a.id === 'string' && !chatAttendees.has(a.id)) chatAttendees.set(a.id, chat.id);
    }
  }

  log(`account ${accountId}: attendees`);
  const attWalk = await caller.walk('messaging.getAllAttendees', { account_id: accountId }, opts.limit, (cursor) =>
    m.getAllAttendees({ account_id: accountId, limit: opts.limit, cursor }),
  );
  notePages(state, 'messaging.getAllAttendees', attWalk.pages);
  for (const a of attWalk.items) {
    if (a.account_id !== accountId) mismatch('messaging.getAllAttendees', { account_id: accountId }, 'attendee of another account', a);
    state.attendees.add(a.id);
  }
  if (attWalk.complete) {
    for (const [id, chatId] of chatAttendees) {
      if (!state.attendees.has(id)) {
        mismatch('messaging.getAllAttendees', { account_id: accountId }, `attendee ${id} of chat ${chatId} is missing from the account's attendee list`, id);
      }
    }
  }
  for (const id of chatAttendees.keys()) state.attendees.add(id);

  for (const id of state.attendees) {
    const call = { attendee_id: id };
    const one = await caller.call('messaging.getAttendee', call, () => m.getAttendee(id));
    if (one.value && one.value.id !== id) mismatch('messaging.getAttendee', call, 'another attendee came back', one.value.id);
    const chats = await caller.call('messaging.getAllChatsFromAttendee', call, () =>
      m.getAllChatsFromAttendee({ attendee_id: id, account_id: accountId, limit: opts.limit }),
    );
    const chatItems = Array.isArray(chats.value?.items) ? chats.value.items : [];
    if (chats.value && chatAttendees.has(id) && chatItems.length === 0) {
      mismatch('messaging.getAllChatsFromAttendee', call, `no chat, though chat ${chatAttendees.get(id)} lists this attendee`, chats.value);
    }
    for (const c of chatItems) {
      if (c.account_id !== accountId) mismatch('messaging.getAllChatsFromAttendee', call, 'chat of another account', c.account_id);
    }
    const msgs = await caller.call('messaging.getAllMessagesFromAttendee', call, () =>
      m.getAllMessagesFromAttendee({ attendee_id: id, limit: opts.limit }),
    );
    for (const msg of Array.isArray(msgs.value?.items) ? msgs.value.items : []) {
      if (msg.account_id !== accountId) mismatch('messaging.getAllMessagesFromAttendee', call, 'message of another account', msg.account_id);
    }
  }

  // A sender no attendee list names (a channel posting, say) must still be an attendee a
  // client can read.
  const senders = new Map();
  for (const msg of state.messages.values()) {
    const sender = msg.sender_attendee_id;
    if (typeof sender === 'string' && !state.attendees.has(sender) && !senders.has(sender)) senders.set(sender, msg.id);
  }
  for (const [sender, messageId] of senders) {
    const call = { attendee_id: sender, sender_of: messageId };
    const one = await caller.call('messaging.getAttendee', call, () => m.getAttendee(sender));
    if (one.value && one.value.account_id !== accountId) {
      mismatch('messaging.getAttendee', call, 'the sender attendee belongs to another account', one.value.account_id);
    }
  }

  log(`account ${accountId}: messages across chats`);
  const all = await caller.walk('messaging.getAllMessages', { account_id: accountId }, opts.messagesLimit, (cursor) =>
    m.getAllMessages({ account_id: accountId, limit: opts.messagesLimit, cursor }),
  );
  notePages(state, 'messaging.getAllMessages', all.pages);
  if (all.complete) {
    const ids = new Set(all.items.map((x) => x.id));
    const missing = [...state.messages.keys()].filter((id) => !ids.has(id));
    const extra = [...ids].filter((id) => !state.messages.has(id));
    if (missing.length || extra.length) {
      report.check('consistency', 'messaging.getAllMessages', { account_id: accountId },
        `getAllMessages(account_id) lists ${ids.size} messages, the chats ${state.messages.size}: ${missing.length} missing, ${extra.length} extra`,
        { value: render({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }) });
    }
    for (const x of all.items) {
      if (x.account_id !== accountId) mismatch('messaging.getAllMessages', { account_id: accountId }, 'message of another account', x.account_id);
    }
  }
}

/** Downloads, for each attachment type the account has, its smallest available attachment. */
export async function downloadAttachments(ctx, state) {
  const { client, caller, report, log } = ctx;
  const smallest = new Map();
  for (const a of state.attachments) {
    if (a.unavailable === true || typeof a.id !== 'string') continue;
    const best = smallest.get(a.type);
    if (!best || (a.file_size ?? Infinity) < (best.file_size ?? Infinity)) smallest.set(a.type, a);
  }
  for (const [type, a] of smallest) {
    const call = { message_id: a.message_id, attachment_id: a.id, type, file_size: a.file_size };
    if (type === 'linkedin_post') {
      // A shared post is a link, not a file: the attachment carries the post's URL, and the
      // download route answers 404 in the envelope.
      log(`account ${state.id}: attachment linkedin_post (a link)`);
      const got = await caller.call('messaging.getMessageAttachment', call, () =>
        client.messaging.getMessageAttachment({ message_id: a.message_id, attachment_id: a.id }),
      { expectError: true });
      const body = got.error?.body;
      if (!got.error || body?.status !== 404 || body?.type !== 'errors/resource_not_found') {
        report.check('consistency', 'messaging.getMessageAttachment', call,
          'a shared post should answer 404 errors/resource_not_found', { value: render(got.value ?? body) });
        continue;
      }
      // LinkedIn's host, or the sandbox simulator's for sandbox accounts.
      if (typeof a.url !== 'string' || !/^https?:\/\/[^/]+\/feed\/update\/urn:li:/.test(a.url)) {
        report.check('consistency', 'messaging.getMessageAttachment', call,
          'a shared post should carry its …/feed/update/urn:li:… url', { value: render(a.url) });
        continue;
      }
      state.downloaded[type] = { message_id: a.message_id, attachment_id: a.id, link: a.url };
      continue;
    }
    log(`account ${state.id}: attachment ${type} (${a.file_size ?? '?'} bytes)`);
    const got = await caller.call('messaging.getMessageAttachment', call, () =>
      client.messaging.getMessageAttachment({ message_id: a.message_id, attachment_id: a.id }),
    );
    if (got.error) continue;
    const blob = got.value;
    if (!(blob instanceof Blob)) {
      report.check('consistency', 'messaging.getMessageAttachment', call, 'the file came back as JSON, not as bytes', { value: render(blob) });
      continue;
    }
    if (typeof a.file_size === 'number' && blob.size !== a.file_size) {
      report.check('consistency', 'messaging.getMessageAttachment', call, `${blob.size} bytes, file_size says ${a.file_size}`);
      continue;
    }
    const mediaType = blob.type.split(';')[0].trim();
    if (a.mimetype && mediaType !== a.mimetype) {
      report.check('consistency', 'messaging.getMessageAttachment', call, `content-type ${JSON.stringify(blob.type)}, mimetype says ${a.mimetype}`);
    }
    state.downloaded[type] = { message_id: a.message_id, attachment_id: a.id, bytes: blob.size };
  }
}

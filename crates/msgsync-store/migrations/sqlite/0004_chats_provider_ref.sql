-- What a connector needs to reach a chat again without listing the account's chats (Telegram:
-- the chat's peer, its kind, id and access hash), as the connector wrote it: opaque here.
ALTER TABLE chats ADD COLUMN provider_ref TEXT;

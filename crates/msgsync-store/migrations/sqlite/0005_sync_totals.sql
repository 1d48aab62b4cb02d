-- What the provider says the sync has in all, where it says so (Telegram's dialogsSlice.count
-- and the messagesSlice.count of the chats visited): lets a client show a percentage.
ALTER TABLE sync_jobs ADD COLUMN chats_total INTEGER;
ALTER TABLE sync_jobs ADD COLUMN messages_total INTEGER;

-- Messages arrive chat by chat, so an index led by the account and ordered by time took every
-- insert to a random page of a B-tree as large as the account's history: the cost of a write
-- grew with the size of the database. Its one user, reconciliation, walks the account's chats
-- and their `messages_chat_time` ranges instead.
DROP INDEX messages_account_time;

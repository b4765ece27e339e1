-- What the built-in assistant keeps from an answer for the next turn of the conversation (JSON: the
-- change "undo" reverses, the bulk action a "yes" confirms). Stored with the answer so any replica
-- serves the next turn; NULL for user messages, model answers and every message written before.
ALTER TABLE messages ADD COLUMN memory TEXT;

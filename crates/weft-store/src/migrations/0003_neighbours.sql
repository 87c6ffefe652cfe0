-- Neighbouring communities: a linked neighbour's commons is stored like a document of ours,
-- under a row that says the community is a neighbour, not one we are a member of.
ALTER TABLE communities ADD COLUMN kind TEXT NOT NULL DEFAULT 'member' CHECK (kind IN ('member', 'neighbour'));

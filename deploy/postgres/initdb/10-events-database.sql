-- Rasa's SQL event broker (endpoints.yml `event_broker`), which the counsellor summaries read,
-- in a database of its own: its table is called `events`, like the tracker store's. The
-- postgres image runs this once, when it initialises an empty data volume; on an existing
-- volume run it by hand (docs/deploy.md, "Upgrading"). Rasa makes the table, not the database.
CREATE DATABASE vagvisaren_events OWNER vagvisaren;

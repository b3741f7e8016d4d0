/**
 * The PostgreSQL store's schema, as numbered migrations applied in order at start (migrate.ts).
 * A migration is never edited once released: a change of schema is a new migration, so every
 * database, whatever version it was created by, ends at the same schema.
 *
 * Timestamps the bot only shows or compares as text (runner created/last seen) stay text, so a
 * record reads back exactly as it was saved; the full record is always the jsonb column, and the
 * other columns exist for the queries and indexes.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const initial = `
CREATE TABLE meta (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- Runs not yet archived (live runs); a final run moves to archived_runs in the same transaction.
CREATE TABLE runs (
  id integer PRIMARY KEY,
  server text NOT NULL,
  status text NOT NULL,
  record jsonb NOT NULL
);

CREATE TABLE archived_runs (
  id integer PRIMARY KEY,
  server text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  ended_at timestamptz,
  archived_at timestamptz NOT NULL,
  record jsonb NOT NULL
);
-- NULLS LAST: a run without an end time sorts after those with one, as in the lowdb store.
CREATE INDEX archived_runs_newest ON archived_runs (ended_at DESC NULLS LAST, id DESC);
CREATE INDEX archived_runs_server_newest ON archived_runs (server, ended_at DESC NULLS LAST, id DESC);

CREATE TABLE outbox (
  id bigint PRIMARY KEY,
  conversation_id text NOT NULL,
  run_id integer,
  item jsonb NOT NULL
);

CREATE TABLE audit (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL,
  run_id integer,
  server text,
  conversation_id text,
  event jsonb NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE runners (
  id text PRIMARY KEY,
  server text NOT NULL,
  secret text NOT NULL,
  created_at text NOT NULL,
  last_seen_at text,
  info jsonb,
  facts jsonb
);

CREATE TABLE conversations (
  conversation_id text PRIMARY KEY,
  reference jsonb NOT NULL,
  locale text
);

-- The catalog in the order entries were added: replacing an entry gives it a new position.
CREATE TABLE packages (
  position bigserial PRIMARY KEY,
  product text NOT NULL,
  version text NOT NULL,
  entry jsonb NOT NULL,
  UNIQUE (product, version)
);

-- Package changes still waiting for approvals; a decided change is deleted. Listed in the
-- order they were last saved (position), as the bot shows them.
CREATE TABLE package_changes (
  id integer PRIMARY KEY,
  status text NOT NULL,
  change jsonb NOT NULL,
  position bigserial NOT NULL
);
`;

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial schema', sql: initial }];

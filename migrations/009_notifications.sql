-- Notifications (issue 27): sinks, and an outbox filled by a trigger on `events`, so each matching
-- event gets its notification row in the event's own transaction: a crash can neither lose one
-- (committed together) nor invent one (rolled back together). The row copies the event, so
-- retention pruning an old event cannot take an undelivered notification with it.
-- migrate:up
CREATE TABLE notification_sinks (
  name TEXT PRIMARY KEY,
  url TEXT,
  plugin TEXT,
  format TEXT NOT NULL DEFAULT 'json',
  secret TEXT,
  swarm_id TEXT,
  origin TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- One row per event pattern of a sink (`agent.*`, `*`, a type): matched with GLOB.
CREATE TABLE notification_sink_events (
  sink TEXT NOT NULL REFERENCES notification_sinks (name) ON DELETE CASCADE,
  pattern TEXT NOT NULL,
  PRIMARY KEY (sink, pattern)
);
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  data TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  retry_from INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error TEXT,
  UNIQUE (event_id, sink)
);
CREATE INDEX idx_notifications_due ON notifications (next_at) WHERE status = 'pending';
CREATE INDEX idx_notifications_status ON notifications (status, id);
CREATE TRIGGER events_notify AFTER INSERT ON events
BEGIN
  INSERT INTO notifications (event_id, sink, type, source, data, timestamp, next_at, retry_from)
  SELECT NEW.id, s.name, NEW.type, NEW.source, NEW.data, NEW.timestamp, NEW.timestamp, NEW.timestamp
  FROM notification_sinks s
  WHERE EXISTS (SELECT 1 FROM notification_sink_events e WHERE e.sink = s.name AND NEW.type GLOB e.pattern)
    AND (s.swarm_id IS NULL OR s.swarm_id = COALESCE(json_extract(NEW.data, '$.swarmId'), NEW.source));
END;

-- migrate:down
DROP TRIGGER events_notify;
DROP TABLE notifications;
DROP TABLE notification_sink_events;
DROP TABLE notification_sinks;

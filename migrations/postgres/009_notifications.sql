-- Notifications (issue 27): the PostgreSQL dialect of migrations/009_notifications.sql. The
-- trigger runs in the inserting transaction, so the outbox row commits (or not) with its event.
-- migrate:up
CREATE TABLE notification_sinks (
  name TEXT COLLATE "C" PRIMARY KEY,
  url TEXT,
  plugin TEXT,
  format TEXT NOT NULL DEFAULT 'json',
  secret TEXT,
  swarm_id TEXT,
  origin TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE notification_sink_events (
  sink TEXT COLLATE "C" NOT NULL REFERENCES notification_sinks (name) ON DELETE CASCADE,
  pattern TEXT NOT NULL,
  PRIMARY KEY (sink, pattern)
);
CREATE TABLE notifications (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  sink TEXT COLLATE "C" NOT NULL,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  data TEXT NOT NULL,
  timestamp BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  retry_from BIGINT NOT NULL,
  delivered_at BIGINT,
  last_error TEXT,
  UNIQUE (event_id, sink)
);
CREATE INDEX idx_notifications_due ON notifications (next_at) WHERE status = 'pending';
CREATE INDEX idx_notifications_status ON notifications (status, id);
-- Patterns use `*` as on the WebSocket; LIKE's `_` is escaped so it only matches itself.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notifications (event_id, sink, type, source, data, timestamp, next_at, retry_from)
  SELECT NEW.id, s.name, NEW.type, NEW.source, NEW.data, NEW.timestamp, NEW.timestamp, NEW.timestamp
  FROM notification_sinks s
  WHERE EXISTS (
      SELECT 1 FROM notification_sink_events e
      WHERE e.sink = s.name AND NEW.type LIKE replace(replace(e.pattern, '_', '\_'), '*', '%')
    )
    AND (s.swarm_id IS NULL OR s.swarm_id = COALESCE(NEW.data::jsonb ->> 'swarmId', NEW.source));
  RETURN NULL;
END;
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify();

-- migrate:down
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
DROP TABLE notifications;
DROP TABLE notification_sink_events;
DROP TABLE notification_sinks;

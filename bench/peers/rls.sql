-- PostGraphile's side of bench/peers.py: MCS's visibility (models/permissions.py) as PostgreSQL
-- row-level security, the semáforo (models/traffic_light.py, models/calendar.py) as SQL functions,
-- and the API PostGraphile exposes: views in schema `peers` over MCS's own tables (security_invoker,
-- so the tables' policies apply to whoever queries), computed columns and two custom queries.
--
-- Idempotent: bench.peers runs it on every start (CREATE OR REPLACE, DROP ... IF EXISTS).
-- MCS itself connects as a superuser, which bypasses RLS: enabling it changes nothing for MCS.
--
-- Who asks: PostGraphile verifies MCS's own bearer token (HS256, the same secret) and sets, per
-- request and transaction, `role = mcs_peers_visitor`, `jwt.claims.user_id`, `jwt.claims.ver`
-- and `jwt.claims.jti` (graphile.config.mjs). Everything below reads those claims.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mcs_peers_visitor') THEN
        CREATE ROLE mcs_peers_visitor NOLOGIN;  -- roles are cluster-wide: a name no one else uses
    END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS peers;
GRANT USAGE ON SCHEMA peers TO mcs_peers_visitor;

-- Mexico's official holidays: MCS takes them from the Python `holidays` package, which the database
-- cannot call; bench.peers fills this table from that package (the years around today).
CREATE TABLE IF NOT EXISTS peers.official_holidays (day date PRIMARY KEY);
COMMENT ON TABLE peers.official_holidays IS E'@behavior -*';

-- --- who is asking --------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION peers.current_user_id() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('jwt.claims.user_id', true), '')::bigint
$$;

-- the institution's date (models/clock.py: America/Mexico_City); now() is the transaction's start
CREATE OR REPLACE FUNCTION peers.today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'America/Mexico_City')::date
$$;

-- the caller's memberships in force today, when the user is active and the token still valid
-- (resolvers/auth.py load_principal: token version, revoked tokens, membership dates)
CREATE OR REPLACE FUNCTION peers.grants() RETURNS TABLE (unit_id bigint, path text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.unit_id, u.path, m.role
      FROM users us
      JOIN memberships m ON m.user_id = us.id
      JOIN org_units u ON u.id = m.unit_id
     WHERE us.id = peers.current_user_id() AND us.active
       AND us.token_version = coalesce(nullif(current_setting('jwt.claims.ver', true), '')::int, us.token_version)
       AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = current_setting('jwt.claims.jti', true))
       AND (m.starts_on IS NULL OR m.starts_on <= peers.today())
       AND (m.ends_on IS NULL OR m.ends_on >= peers.today())
$$;

-- The units in the caller's scope (unit_in_scope): their membership units, plus the whole subtree
-- of those where they are HEAD, REGISTRAR or VIEWER. The org tree is small (101 units here): an
-- array, computed once per statement where the policies write `(SELECT peers.scope_unit_ids())`.
CREATE OR REPLACE FUNCTION peers.scope_unit_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN  -- plpgsql: it keeps its plan; a SECURITY DEFINER SQL function is planned on every call
    RETURN (SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}')
              FROM org_units u
             WHERE EXISTS (SELECT 1 FROM peers.grants() g
                            WHERE g.unit_id = u.id
                       OR (g.role IN ('HEAD', 'REGISTRAR', 'VIEWER') AND starts_with(u.path, g.path))));
END $$;

-- confidential_readable: members of a unit on the chain, HEADs of its ancestors
CREATE OR REPLACE FUNCTION peers.confidential_unit_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN  -- plpgsql: it keeps its plan; a SECURITY DEFINER SQL function is planned on every call
    RETURN (SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}')
              FROM org_units u
             WHERE EXISTS (SELECT 1 FROM peers.grants() g
                            WHERE g.unit_id = u.id OR (g.role = 'HEAD' AND starts_with(u.path, g.path))));
END $$;

CREATE OR REPLACE FUNCTION peers.is_admin() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM peers.grants() WHERE role = 'ADMIN');
END $$;

GRANT EXECUTE ON FUNCTION peers.current_user_id(), peers.today(), peers.scope_unit_ids(),
    peers.confidential_unit_ids(), peers.is_admin() TO mcs_peers_visitor;
REVOKE EXECUTE ON FUNCTION peers.grants() FROM PUBLIC;
COMMENT ON FUNCTION peers.grants() IS E'@behavior -*';
COMMENT ON FUNCTION peers.current_user_id() IS E'@behavior -*';
COMMENT ON FUNCTION peers.today() IS E'@behavior -*';
COMMENT ON FUNCTION peers.scope_unit_ids() IS E'@behavior -*';
COMMENT ON FUNCTION peers.confidential_unit_ids() IS E'@behavior -*';
COMMENT ON FUNCTION peers.is_admin() IS E'@behavior -*';

-- --- row-level security on MCS's tables (models/permissions.py) -----------------------------

GRANT SELECT ON org_units, documents, document_units, turnos, document_search, institution_holidays
    TO mcs_peers_visitor;
GRANT SELECT ON peers.official_holidays TO mcs_peers_visitor;

ALTER TABLE org_units ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_units ENABLE ROW LEVEL SECURITY;
ALTER TABLE turnos ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_search ENABLE ROW LEVEL SECURITY;

-- the org tree: every signed-in user (MCS's OrgUnit lookups are not filtered either)
DROP POLICY IF EXISTS peers_read ON org_units;
CREATE POLICY peers_read ON org_units FOR SELECT TO mcs_peers_visitor
    USING ((SELECT peers.current_user_id()) IS NOT NULL);

-- visible_turnos: from or to a unit in scope; ADMIN: all
DROP POLICY IF EXISTS peers_read ON turnos;
CREATE POLICY peers_read ON turnos FOR SELECT TO mcs_peers_visitor
    USING ((SELECT peers.is_admin())
           OR from_unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[])
           OR to_unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[]));

-- a link of a chain is seen when its unit is in scope: exactly what visible_documents asks
DROP POLICY IF EXISTS peers_read ON document_units;
CREATE POLICY peers_read ON document_units FOR SELECT TO mcs_peers_visitor
    USING ((SELECT peers.is_admin()) OR unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[]));

-- visible_documents: some unit of the chain is in scope; ADMIN: all
DROP POLICY IF EXISTS peers_read ON documents;
CREATE POLICY peers_read ON documents FOR SELECT TO mcs_peers_visitor
    USING ((SELECT peers.is_admin())
           OR EXISTS (SELECT 1 FROM document_units du
                       WHERE du.document_id = documents.id AND du.unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[])));

-- the search index follows its document
DROP POLICY IF EXISTS peers_read ON document_search;
CREATE POLICY peers_read ON document_search FOR SELECT TO mcs_peers_visitor
    USING ((SELECT peers.is_admin())
           OR EXISTS (SELECT 1 FROM document_units du
                       WHERE du.document_id = document_search.document_id
                         AND du.unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[])));

-- --- the business calendar (models/calendar.py) and the semáforo (models/traffic_light.py) ---

-- The calendar as a table, one row per day of the years around today: `n` counts the business days
-- from its start up to that day (weekdays that are neither official nor institution holidays), so
-- business days in (a, b] are n(b) - n(a): two index lookups instead of walking the days.
-- bench.peers fills it (peers.refresh_calendar) after the official holidays; a trigger refreshes it
-- when an ADMIN changes institution_holidays.
CREATE TABLE IF NOT EXISTS peers.calendar (day date PRIMARY KEY, n integer NOT NULL);
COMMENT ON TABLE peers.calendar IS E'@behavior -*';
CREATE INDEX IF NOT EXISTS ix_peers_calendar_n ON peers.calendar (n, day);
GRANT SELECT ON peers.calendar TO mcs_peers_visitor;

CREATE OR REPLACE FUNCTION peers.refresh_calendar() RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    DELETE FROM peers.calendar;
    INSERT INTO peers.calendar (day, n)
    SELECT d::date, (sum(CASE WHEN extract(isodow FROM d) < 6
                               AND NOT EXISTS (SELECT 1 FROM peers.official_holidays h WHERE h.day = d::date)
                               AND NOT EXISTS (SELECT 1 FROM institution_holidays h WHERE h.day = d::date)
                              THEN 1 ELSE 0 END) OVER (ORDER BY d))::int
      FROM generate_series(date_trunc('year', now()) - interval '3 years',
                           date_trunc('year', now()) + interval '4 years' - interval '1 day', interval '1 day') d;
$$;

CREATE OR REPLACE FUNCTION peers.refresh_calendar_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM peers.refresh_calendar();
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS peers_refresh_calendar ON institution_holidays;
CREATE TRIGGER peers_refresh_calendar AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON institution_holidays
    FOR EACH STATEMENT EXECUTE FUNCTION peers.refresh_calendar_trigger();
REVOKE EXECUTE ON FUNCTION peers.refresh_calendar() FROM PUBLIC;
COMMENT ON FUNCTION peers.refresh_calendar() IS E'@behavior -*';
COMMENT ON FUNCTION peers.refresh_calendar_trigger() IS E'@behavior -*';

-- BusinessCalendar.business_days_between: business days in (a, b]; negative when b < a
CREATE OR REPLACE FUNCTION peers.business_days_between(a date, b date) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT (SELECT n FROM peers.calendar WHERE day = b) - (SELECT n FROM peers.calendar WHERE day = a)
$$;

-- BusinessCalendar.business_days_left: 0 due today, negative overdue (never 0 once past)
CREATE OR REPLACE FUNCTION peers.business_days_left(today date, due date) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN due < today THEN -greatest(1, peers.business_days_between(due, today))
                ELSE peers.business_days_between(today, due) END
$$;

-- Settings.yellow_threshold_days (MCS_YELLOW_THRESHOLD_DAYS, default 2)
CREATE OR REPLACE FUNCTION peers.yellow_threshold() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;

-- BusinessCalendar.last_day_with_at_most(today, threshold): the (threshold + 1)-th business day
-- after today, minus one day. A due date up to it is YELLOW, after it GREEN.
CREATE OR REPLACE FUNCTION peers.yellow_until() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT min(c.day) - 1 FROM peers.calendar c
     WHERE c.day > peers.today()
       AND c.n = (SELECT n FROM peers.calendar WHERE day = peers.today()) + peers.yellow_threshold() + 1
$$;

-- open_light: the light of something still pending with deadline `due`
CREATE OR REPLACE FUNCTION peers.open_light(due date) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN due IS NULL THEN 'NONE'
                WHEN due < (SELECT peers.today()) THEN 'RED'
                WHEN due <= (SELECT peers.yellow_until()) THEN 'YELLOW'
                ELSE 'GREEN' END
$$;

-- turno_light: awaiting an answer, by the days left; answered or concluded, by the answer's
-- timeliness; otherwise NONE
CREATE OR REPLACE FUNCTION peers.turno_light(status text, due date, answered_on_time boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN due IS NULL THEN 'NONE'
                WHEN status IN ('SENT', 'RECEIVED', 'RETURNED') THEN peers.open_light(due)
                WHEN status IN ('ANSWERED', 'CONCLUDED') AND answered_on_time IS NOT NULL
                    THEN CASE WHEN answered_on_time THEN 'GREEN' ELSE 'RED' END
                ELSE 'NONE' END
$$;

CREATE OR REPLACE FUNCTION peers.severity(light text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE light WHEN 'RED' THEN 3 WHEN 'YELLOW' THEN 2 WHEN 'GREEN' THEN 1 ELSE 0 END
$$;

-- document_light over ALL the document's open turnos (visible or not, as MCS's Document.trafficLight):
-- the definer reads past the turnos policy. Called once per document row: one statement, the
-- lights by severity inline (3 RED, 2 YELLOW, 1 GREEN, 0 NONE), today and the yellow limit once.
CREATE OR REPLACE FUNCTION peers.document_light(document_id bigint, status text, due date) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
-- plpgsql, not sql: a SECURITY DEFINER SQL function is planned again on every call (~0.3 ms a row
-- here), plpgsql keeps its plans. No SET clause: it would save and restore a setting per row.
DECLARE
    today date := peers.today();
    yellow_until date := peers.yellow_until();
    own integer;
    worst integer;
BEGIN
    IF status NOT IN ('REGISTERED', 'IN_PROGRESS') THEN
        RETURN 'NONE';
    END IF;
    own := CASE WHEN due IS NULL THEN 0 WHEN due < today THEN 3 WHEN due <= yellow_until THEN 2 ELSE 1 END;
    SELECT max(CASE WHEN t.due_date IS NULL THEN 0
                    WHEN t.status IN ('SENT', 'RECEIVED', 'RETURNED') THEN
                        CASE WHEN t.due_date < today THEN 3 WHEN t.due_date <= yellow_until THEN 2 ELSE 1 END
                    WHEN t.answered_on_time IS NOT NULL THEN CASE WHEN t.answered_on_time THEN 1 ELSE 3 END
                    ELSE 0 END)
      INTO worst
      FROM public.turnos t
     WHERE t.document_id = document_light.document_id
       AND t.status IN ('SENT', 'RECEIVED', 'ANSWERED', 'RETURNED');
    RETURN (ARRAY['NONE', 'GREEN', 'YELLOW', 'RED'])[1 + greatest(own, coalesce(worst, 0))];
END $$;

DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['business_days_between(date, date)',
                             'business_days_left(date, date)', 'yellow_threshold()', 'yellow_until()',
                             'open_light(date)', 'turno_light(text, date, boolean)', 'severity(text)',
                             'document_light(bigint, text, date)'] LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION peers.%s TO mcs_peers_visitor', f);
        EXECUTE format('COMMENT ON FUNCTION peers.%s IS %L', f, '@behavior -*');
    END LOOP;
END $$;

-- --- the API: views PostGraphile exposes (schema `peers` only) ------------------------------
-- security_invoker: the tables' policies apply to the visitor. Smart tags give views the keys
-- and relations PostGraphile reads from tables, and the field names MCS's schema uses.

DROP FUNCTION IF EXISTS peers.inbox(text[], text[]);
DROP FUNCTION IF EXISTS peers.inbox_joined(text[], text[]);
DROP FUNCTION IF EXISTS peers.search_documents(text);
DROP FUNCTION IF EXISTS peers.turnos_traffic_light(peers.turnos);
DROP FUNCTION IF EXISTS peers.turnos_business_days_left(peers.turnos);
DROP FUNCTION IF EXISTS peers.documents_traffic_light(peers.documents);
DROP FUNCTION IF EXISTS peers.documents_subject(peers.documents);
DROP VIEW IF EXISTS peers.turnos;
DROP VIEW IF EXISTS peers.documents;
DROP VIEW IF EXISTS peers.org_units;

CREATE VIEW peers.org_units WITH (security_invoker = true) AS
    SELECT id, code, acronym, name, kind, parent_id, path, active FROM public.org_units;
COMMENT ON VIEW peers.org_units IS E'@name OrgUnit\n@primaryKey id\n@behavior -query:resource:connection -query:resource:list';

-- `subject` is a computed column below (confidential); the sender's fields are left out
CREATE VIEW peers.documents WITH (security_invoker = true) AS
    SELECT id, folio, unit_id, year, number, origin, document_type, reference, addressee, document_date,
           received_at, due_date, priority, confidential, status, registered_by_id, created_at, concluded_at,
           turno_count, subject AS subject_raw
      FROM public.documents;
COMMENT ON COLUMN peers.documents.subject_raw IS E'@behavior -*';
COMMENT ON VIEW peers.documents IS E'@name Document\n@primaryKey id\n@behavior -query:resource:connection -query:resource:list\n@foreignKey (unit_id) references peers.org_units (id)|@fieldName unit|@foreignFieldName documents';

CREATE VIEW peers.turnos WITH (security_invoker = true) AS
    SELECT id, document_id, parent_id, number, from_unit_id, to_unit_id, instruction, notes, priority, sent_at,
           received_at, due_date, due_business_days, due_counted_from, status, concluded_at, cancelled_at,
           answered_on_time, rounds, accepted_at_first_answer
      FROM public.turnos;
COMMENT ON VIEW peers.turnos IS E'@name Turno\n@primaryKey id\n@behavior -query:resource:connection -query:resource:list\n'
    '@foreignKey (document_id) references peers.documents (id)|@fieldName document|@foreignFieldName turnos\n'
    '@foreignKey (from_unit_id) references peers.org_units (id)|@fieldName fromUnit|@foreignFieldName turnosFrom\n'
    '@foreignKey (to_unit_id) references peers.org_units (id)|@fieldName toUnit|@foreignFieldName turnosTo';

GRANT SELECT ON peers.org_units, peers.documents, peers.turnos TO mcs_peers_visitor;

-- Turno.trafficLight, Turno.businessDaysLeft (null once closed), Document.trafficLight, Document.subject
CREATE FUNCTION peers.turnos_traffic_light(t peers.turnos) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT peers.turno_light(t.status, t.due_date, t.answered_on_time)
$$;

CREATE FUNCTION peers.turnos_business_days_left(t peers.turnos) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN t.due_date IS NULL OR t.status IN ('CONCLUDED', 'CANCELLED') THEN NULL
                ELSE peers.business_days_left((SELECT peers.today()), t.due_date) END
$$;

CREATE FUNCTION peers.documents_traffic_light(d peers.documents) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT peers.document_light(d.id, d.status, d.due_date)
$$;

-- can_see_confidential: not confidential, or a unit of the chain is the caller's or under their
-- HEAD membership. (MCS answers null plus a FORBIDDEN error; here: null.)
CREATE FUNCTION peers.documents_subject(d peers.documents) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN NOT d.confidential OR EXISTS (
                    SELECT 1 FROM public.document_units du
                     WHERE du.document_id = d.id
                       AND du.unit_id = ANY ((SELECT peers.confidential_unit_ids())::bigint[]))
                THEN d.subject_raw END
$$;

-- Query.inbox(statuses, lights): turnos to the caller's units and (HEAD, REGISTRAR, VIEWER) their
-- subtree, newest sent first; the turnos policy (visible_turnos) applies on top, as in MCS.
-- The lights as models/traffic_light.py turno_light_clause writes them: ranges of due dates.
-- LANGUAGE sql, STABLE, not STRICT, one SELECT: the planner inlines it into PostGraphile's query.
CREATE FUNCTION peers.inbox(statuses text[] DEFAULT NULL, lights text[] DEFAULT NULL)
RETURNS SETOF peers.turnos LANGUAGE sql STABLE AS $$
    SELECT t.* FROM peers.turnos t
     WHERE t.to_unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[])
       AND (statuses IS NULL OR t.status = ANY (statuses))
       AND (lights IS NULL
            OR ('RED' = ANY (lights) AND t.due_date IS NOT NULL
                AND ((t.status IN ('SENT', 'RECEIVED', 'RETURNED') AND t.due_date < (SELECT peers.today()))
                     OR (t.status IN ('ANSWERED', 'CONCLUDED') AND t.answered_on_time = false)))
            OR ('YELLOW' = ANY (lights) AND t.status IN ('SENT', 'RECEIVED', 'RETURNED')
                AND t.due_date >= (SELECT peers.today()) AND t.due_date <= (SELECT peers.yellow_until()))
            OR ('GREEN' = ANY (lights) AND t.due_date IS NOT NULL
                AND ((t.status IN ('SENT', 'RECEIVED', 'RETURNED') AND t.due_date > (SELECT peers.yellow_until()))
                     OR (t.status IN ('ANSWERED', 'CONCLUDED') AND t.answered_on_time = true)))
            OR ('NONE' = ANY (lights) AND peers.turno_light(t.status, t.due_date, t.answered_on_time) = 'NONE'))
     ORDER BY t.sent_at DESC, t.id DESC
$$;
COMMENT ON FUNCTION peers.inbox(text[], text[]) IS E'@sortable false';

-- Query.inboxJoined: the same rows, for PostGraphile to sort itself (orderBy: [SENT_AT_DESC, ID_DESC])
-- and so to join the relations into one statement (graphile.config.mjs, UnorderedFunctionsPlugin)
CREATE FUNCTION peers.inbox_joined(statuses text[] DEFAULT NULL, lights text[] DEFAULT NULL)
RETURNS SETOF peers.turnos LANGUAGE sql STABLE AS $$
    SELECT t.* FROM peers.turnos t
     WHERE t.to_unit_id = ANY ((SELECT peers.scope_unit_ids())::bigint[])
       AND (statuses IS NULL OR t.status = ANY (statuses))
       AND (lights IS NULL
            OR ('RED' = ANY (lights) AND t.due_date IS NOT NULL
                AND ((t.status IN ('SENT', 'RECEIVED', 'RETURNED') AND t.due_date < (SELECT peers.today()))
                     OR (t.status IN ('ANSWERED', 'CONCLUDED') AND t.answered_on_time = false)))
            OR ('YELLOW' = ANY (lights) AND t.status IN ('SENT', 'RECEIVED', 'RETURNED')
                AND t.due_date >= (SELECT peers.today()) AND t.due_date <= (SELECT peers.yellow_until()))
            OR ('GREEN' = ANY (lights) AND t.due_date IS NOT NULL
                AND ((t.status IN ('SENT', 'RECEIVED', 'RETURNED') AND t.due_date > (SELECT peers.yellow_until()))
                     OR (t.status IN ('ANSWERED', 'CONCLUDED') AND t.answered_on_time = true)))
            OR ('NONE' = ANY (lights) AND peers.turno_light(t.status, t.due_date, t.answered_on_time) = 'NONE'))
$$;
COMMENT ON FUNCTION peers.inbox_joined(text[], text[]) IS E'@behavior +order\n@unordered';

-- MCS's search box (models/search.py parse_search): folded words, -aciones as -acion, each piece
-- a phrase, all required
CREATE OR REPLACE FUNCTION peers.search_query(q text) RETURNS tsquery LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    piece text;
    result tsquery;
BEGIN
    FOR piece IN SELECT p FROM regexp_split_to_table(lower(public.unaccent(coalesce(q, ''))), '\s+') p WHERE p <> '' LOOP
        piece := regexp_replace(piece, '([au])ciones\M', '\1cion', 'g');
        result := CASE WHEN result IS NULL THEN phraseto_tsquery('mcs_spanish', piece)
                       ELSE result && phraseto_tsquery('mcs_spanish', piece) END;
    END LOOP;
    RETURN result;
END $$;
GRANT EXECUTE ON FUNCTION peers.search_query(text) TO mcs_peers_visitor;
COMMENT ON FUNCTION peers.search_query(text) IS E'@behavior -*';

-- Query.searchDocuments(q): the documents page ranked as models/search.py ranked(): every word in the
-- document's index, the protected fields only where readable (else the public vector), rank by
-- ts_rank of the vector the caller may read, then id. (MCS also finds words in answers' files:
-- there are none in this benchmark's data.)
CREATE FUNCTION peers.search_documents(q text) RETURNS SETOF peers.documents LANGUAGE sql STABLE AS $$
    SELECT d.* FROM peers.documents d
      JOIN public.document_search s ON s.document_id = d.id
      CROSS JOIN LATERAL (SELECT NOT d.confidential OR EXISTS (
            SELECT 1 FROM public.document_units du
             WHERE du.document_id = d.id AND du.unit_id = ANY ((SELECT peers.confidential_unit_ids())::bigint[])) AS readable) r
     WHERE s.search_vector @@ peers.search_query(q)
       AND (r.readable OR s.public_search_vector @@ peers.search_query(q))
     ORDER BY CASE WHEN r.readable THEN ts_rank(s.search_vector, peers.search_query(q))
                   ELSE ts_rank(s.public_search_vector, peers.search_query(q)) END DESC, d.id DESC
$$;
COMMENT ON FUNCTION peers.search_documents(text) IS E'@sortable false';

GRANT EXECUTE ON FUNCTION peers.turnos_traffic_light(peers.turnos), peers.turnos_business_days_left(peers.turnos),
    peers.documents_traffic_light(peers.documents), peers.documents_subject(peers.documents),
    peers.inbox(text[], text[]), peers.inbox_joined(text[], text[]), peers.search_documents(text) TO mcs_peers_visitor;

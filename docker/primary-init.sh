#!/usr/bin/env bash
# Runs once when the primary's data folder is created: a replication role and access for the standbys, and
# the roles the app runs as (core/db_roles.py): hmis_app owns nothing; hmis_projector owns the materialized
# views. The owner (POSTGRES_USER, hmis) runs migrate and grants them after each run.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
CREATE ROLE hmis_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$HMIS_APP_DB_PASSWORD';
CREATE ROLE hmis_projector NOLOGIN;
GRANT hmis_projector TO hmis_app;
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

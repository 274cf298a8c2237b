#!/usr/bin/env bash
# Patroni runs this once, on the node that creates the cluster: the database, its owner (hmis: migrations)
# and the roles the app runs as (core/db_roles.py): hmis_app, which owns nothing, and hmis_projector, which
# owns the materialized views (the owner hands them over after each migrate, so it is a member).
# pg_monitor lets the app see pg_stat_replication (is a standby synchronous?) and pg_stat_archiver.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -d "$1" <<SQL
CREATE ROLE hmis LOGIN PASSWORD '${HMIS_DB_PASSWORD:?}';
CREATE ROLE hmis_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${HMIS_APP_DB_PASSWORD:?}';
CREATE ROLE hmis_projector NOLOGIN;
GRANT hmis_projector TO hmis_app;
GRANT hmis_projector TO hmis;
GRANT pg_monitor TO hmis, hmis_app;
CREATE DATABASE hmis OWNER hmis;
SQL

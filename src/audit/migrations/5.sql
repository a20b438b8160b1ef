-- Version 5: where a repository was listed from (`github-org:ORG`, `github-user:USER`,
-- `gitlab-group:GROUP`; NULL for one named on the command line), and the forge's last
-- activity time (`pushed_at`, `last_activity_at`) at its last complete audit, with which a
-- re-run skips it without a fetch. NULL for every repository audited before version 5.
ALTER TABLE repositories ADD COLUMN origin TEXT CHECK (origin <> '');
ALTER TABLE repositories ADD COLUMN activity TEXT;

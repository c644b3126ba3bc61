-- The review service's tables as Base.metadata.create_all made them on sqlite before the service
-- used Alembic (commit b5cf91c): what revision 0001_baseline adopts. Generated, do not edit.
CREATE TABLE flow_definitions (
	id INTEGER NOT NULL, 
	name VARCHAR(63) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_us BIGINT NOT NULL, 
	role_arn VARCHAR(2048) NOT NULL, 
	output_path VARCHAR(1024) NOT NULL, 
	kms_key_id VARCHAR(2048), 
	human_loop_config TEXT, 
	request_source VARCHAR(64), 
	activation_conditions TEXT, 
	tags TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE INDEX ix_flow_definitions_created_us ON flow_definitions (created_us);
CREATE TABLE human_task_uis (
	id INTEGER NOT NULL, 
	name VARCHAR(63) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	created_us BIGINT NOT NULL, 
	content TEXT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	tags TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE INDEX ix_human_task_uis_created_us ON human_task_uis (created_us);
CREATE TABLE workteams (
	id INTEGER NOT NULL, 
	name VARCHAR(63) NOT NULL, 
	arn VARCHAR(256) NOT NULL, 
	created_us BIGINT NOT NULL, 
	updated_us BIGINT NOT NULL, 
	description VARCHAR(200) NOT NULL, 
	member_definitions TEXT NOT NULL, 
	workforce_name VARCHAR(63), 
	notification_config TEXT, 
	worker_access_config TEXT, 
	tags TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE INDEX ix_workteams_created_us ON workteams (created_us);
CREATE TABLE human_loops (
	id INTEGER NOT NULL, 
	name VARCHAR(63) NOT NULL, 
	arn VARCHAR(1024) NOT NULL, 
	flow_definition_name VARCHAR(63) NOT NULL, 
	flow_definition_arn VARCHAR(1024) NOT NULL, 
	input_content TEXT NOT NULL, 
	input_sha256 VARCHAR(64) NOT NULL, 
	content_classifiers TEXT, 
	status VARCHAR(16) NOT NULL, 
	failure_code VARCHAR(32), 
	failure_reason VARCHAR(1024), 
	created_us BIGINT NOT NULL, 
	updated_us BIGINT NOT NULL, 
	expires_us BIGINT NOT NULL, 
	output_uri VARCHAR(2048) NOT NULL, 
	output_pending INTEGER NOT NULL, 
	task_count INTEGER NOT NULL, 
	task_time_limit_s INTEGER NOT NULL, 
	workteam_name VARCHAR(63), 
	human_task_ui_arn VARCHAR(1024), 
	task_title VARCHAR(128), 
	task_description VARCHAR(255), 
	task_keywords TEXT, 
	request_source VARCHAR(64), 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE INDEX ix_loops_team_status_created ON human_loops (workteam_name, status, created_us, id);
CREATE INDEX ix_loops_status_flow ON human_loops (status, flow_definition_name, expires_us, task_count);
CREATE INDEX ix_loops_flow_created ON human_loops (flow_definition_arn, created_us, id);
CREATE INDEX ix_human_loops_workteam_name ON human_loops (workteam_name);
CREATE INDEX ix_loops_status_expires ON human_loops (status, expires_us);
CREATE TABLE workers (
	id INTEGER NOT NULL, 
	worker_id VARCHAR(16) NOT NULL, 
	name VARCHAR(128) NOT NULL, 
	sub VARCHAR(36) NOT NULL, 
	token_sha256 VARCHAR(64) NOT NULL, 
	password_hash VARCHAR(128), 
	created_us BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (worker_id), 
	UNIQUE (name), 
	UNIQUE (token_sha256)
);
CREATE TABLE events (
	seq INTEGER NOT NULL, 
	event_id VARCHAR(36) NOT NULL, 
	loop_name VARCHAR(63) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_us BIGINT NOT NULL, 
	body TEXT NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (event_id)
);
CREATE TABLE resource_tags (
	id INTEGER NOT NULL, 
	resource_arn VARCHAR(256) NOT NULL, 
	"key" VARCHAR(128) NOT NULL, 
	value VARCHAR(256) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (resource_arn, "key")
);
CREATE INDEX ix_resource_tags_resource_arn ON resource_tags (resource_arn);
CREATE TABLE workforces (
	id INTEGER NOT NULL, 
	name VARCHAR(63) NOT NULL, 
	arn VARCHAR(256) NOT NULL, 
	created_us BIGINT NOT NULL, 
	updated_us BIGINT NOT NULL, 
	oidc_config TEXT, 
	source_cidrs TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE INDEX ix_workforces_created_us ON workforces (created_us);
CREATE TABLE access_keys (
	id INTEGER NOT NULL, 
	access_key_id VARCHAR(32) NOT NULL, 
	scope VARCHAR(16) NOT NULL, 
	description VARCHAR(256) NOT NULL, 
	created_us BIGINT NOT NULL, 
	revoked_us BIGINT, 
	PRIMARY KEY (id), 
	UNIQUE (access_key_id)
);
CREATE TABLE portal_sessions (
	id INTEGER NOT NULL, 
	sid_sha256 VARCHAR(64) NOT NULL, 
	worker_pk INTEGER NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	created_us BIGINT NOT NULL, 
	revoked_us BIGINT, 
	PRIMARY KEY (id), 
	UNIQUE (sid_sha256)
);
CREATE INDEX ix_portal_sessions_worker_pk ON portal_sessions (worker_pk);
CREATE TABLE signin_failures (
	id INTEGER NOT NULL, 
	subject VARCHAR(200) NOT NULL, 
	failures INTEGER NOT NULL, 
	window_start_us BIGINT NOT NULL, 
	locked_until_us BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (subject)
);
CREATE TABLE disabled_workers (
	id INTEGER NOT NULL, 
	worker_name VARCHAR(128) NOT NULL, 
	disabled_us BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (worker_name)
);
CREATE TABLE gold_items (
	id INTEGER NOT NULL, 
	flow_name VARCHAR(63) NOT NULL, 
	input_content TEXT NOT NULL, 
	label TEXT NOT NULL, 
	created_us BIGINT NOT NULL, 
	uses INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_gold_items_flow_name ON gold_items (flow_name);
CREATE TABLE team_members (
	id INTEGER NOT NULL, 
	worker_pk INTEGER NOT NULL, 
	team_name VARCHAR(63) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (worker_pk, team_name), 
	FOREIGN KEY(worker_pk) REFERENCES workers (id) ON DELETE CASCADE
);
CREATE INDEX ix_team_members_team_name ON team_members (team_name);
CREATE TABLE claims (
	id INTEGER NOT NULL, 
	loop_pk INTEGER NOT NULL, 
	worker_pk INTEGER NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	claimed_us BIGINT NOT NULL, 
	expires_us BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (loop_pk, worker_pk), 
	FOREIGN KEY(loop_pk) REFERENCES human_loops (id) ON DELETE CASCADE, 
	FOREIGN KEY(worker_pk) REFERENCES workers (id) ON DELETE CASCADE
);
CREATE TABLE answers (
	id INTEGER NOT NULL, 
	loop_pk INTEGER NOT NULL, 
	worker_pk INTEGER NOT NULL, 
	worker_id VARCHAR(16) NOT NULL, 
	answer_content TEXT NOT NULL, 
	acceptance_us BIGINT NOT NULL, 
	submission_us BIGINT NOT NULL, 
	time_spent_s FLOAT NOT NULL, 
	worker_metadata TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (loop_pk, worker_pk), 
	FOREIGN KEY(loop_pk) REFERENCES human_loops (id) ON DELETE CASCADE
);
CREATE INDEX ix_answers_worker ON answers (worker_pk);
CREATE TABLE deliveries (
	id INTEGER NOT NULL, 
	event_seq INTEGER NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	done INTEGER NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_us BIGINT NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(event_seq) REFERENCES events (seq) ON DELETE CASCADE
);
CREATE INDEX ix_deliveries_due ON deliveries (done, next_attempt_us);
CREATE TABLE oidc_identities (
	id INTEGER NOT NULL, 
	issuer VARCHAR(512) NOT NULL, 
	sub VARCHAR(255) NOT NULL, 
	worker_pk INTEGER NOT NULL, 
	groups TEXT NOT NULL, 
	signed_in_us BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (issuer, sub), 
	UNIQUE (worker_pk), 
	FOREIGN KEY(worker_pk) REFERENCES workers (id) ON DELETE CASCADE
);
CREATE TABLE gold_loops (
	loop_pk INTEGER NOT NULL, 
	gold_pk INTEGER NOT NULL, 
	flow_name VARCHAR(63) NOT NULL, 
	PRIMARY KEY (loop_pk), 
	FOREIGN KEY(loop_pk) REFERENCES human_loops (id) ON DELETE CASCADE, 
	FOREIGN KEY(gold_pk) REFERENCES gold_items (id) ON DELETE CASCADE
);
CREATE INDEX ix_gold_loops_flow_name ON gold_loops (flow_name);

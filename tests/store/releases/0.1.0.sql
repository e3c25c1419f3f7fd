BEGIN TRANSACTION;
CREATE TABLE asb_case (
	id TEXT NOT NULL, 
	ref TEXT, 
	property_id TEXT, 
	lat FLOAT, 
	lon FLOAT, 
	category TEXT, 
	urgent_crime BOOLEAN, 
	hate_motivated BOOLEAN, 
	harm_type TEXT, 
	description TEXT, 
	received_at TEXT, 
	incident_at TEXT, 
	complainant_id TEXT, 
	over_75 BOOLEAN, 
	other_org_support BOOLEAN, 
	personal_budget BOOLEAN, 
	vulnerable_by_judgement BOOLEAN, 
	risk_answers JSON, 
	status TEXT, 
	priority INTEGER, 
	vulnerable BOOLEAN, 
	threshold_applies BOOLEAN, 
	threshold_met BOOLEAN, 
	due_at TEXT, 
	risk_level TEXT, 
	ct_eligible BOOLEAN, 
	reason TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE asb_report (
	id TEXT NOT NULL, 
	case_id TEXT, 
	incident_at TEXT, 
	reported_at TEXT, 
	reporter_id TEXT, 
	agency TEXT, 
	description TEXT, 
	hate_motivated BOOLEAN, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE blob_upload (
	sha256 VARCHAR NOT NULL, 
	path VARCHAR NOT NULL, 
	size INTEGER NOT NULL, 
	uploaded BOOLEAN NOT NULL, 
	PRIMARY KEY (sha256)
);
CREATE TABLE "conflict" (
	id TEXT NOT NULL, 
	entity TEXT, 
	record_id TEXT, 
	field TEXT, 
	base_value JSON, 
	kept_value JSON, 
	proposed_value JSON, 
	proposed_by TEXT, 
	proposed_at TEXT, 
	status TEXT, 
	resolution TEXT, 
	value JSON, 
	resolved_by TEXT, 
	resolved_at TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE ct_review (
	id TEXT NOT NULL, 
	case_id TEXT, 
	applicant JSON, 
	complaint_ids JSON, 
	risk_level TEXT, 
	decision TEXT, 
	decided_at TEXT, 
	recommendations JSON, 
	outcome TEXT, 
	appeal TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('device_id','01a2335a-606b-7000-b146-66c2aab1ee84');
INSERT INTO "meta" VALUES('user','{"id": "release-user", "name": "Olive Officer", "role": "officer"}');
INSERT INTO "meta" VALUES('hlc','1781082000000003');
INSERT INTO "meta" VALUES('device_seq','3');
CREATE TABLE note (
	id TEXT NOT NULL, 
	parent_entity TEXT, 
	parent_id TEXT, 
	text TEXT, 
	author_id TEXT, 
	created_at TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "note" VALUES('01a2335a-609c-7000-a484-7b8aa348e96f','observation','01a2335a-606e-7000-9c66-6651eeecf827','Reported twice',NULL,'2026-06-10T09:06:00Z',NULL,0);
CREATE TABLE observation (
	id TEXT NOT NULL, 
	walkabout_id TEXT, 
	kind TEXT, 
	offensive BOOLEAN, 
	lat FLOAT, 
	lon FLOAT, 
	description TEXT, 
	logged_by TEXT, 
	logged_at TEXT, 
	raised_entity TEXT, 
	raised_id TEXT, 
	nearest_property_id TEXT, 
	nearest_block TEXT, 
	action_due_at TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "observation" VALUES('01a2335a-606e-7000-9c66-6651eeecf827','01a2335a-606c-7000-8b36-1a65b72e7b91','fly_tipping',1,53.331,-2.7,'Mattress by the bins',NULL,'2026-06-10T09:05:00Z',NULL,NULL,NULL,NULL,'2026-06-17T22:59:59Z',NULL,0);
CREATE TABLE outbox (
	mutation_id VARCHAR NOT NULL, 
	device_seq INTEGER NOT NULL, 
	entity VARCHAR NOT NULL, 
	record_id VARCHAR NOT NULL, 
	op VARCHAR NOT NULL, 
	base_version INTEGER, 
	patch JSON NOT NULL, 
	client_time VARCHAR NOT NULL, 
	state VARCHAR NOT NULL, 
	error JSON, 
	attempts INTEGER NOT NULL, 
	PRIMARY KEY (mutation_id), 
	UNIQUE (device_seq)
);
INSERT INTO "outbox" VALUES('01a2335a-606c-7001-a88c-7dacd2a53dd0',1,'walkabout','01a2335a-606c-7000-8b36-1a65b72e7b91','upsert',NULL,'{"estate": "Oak Farm", "started_at": "2026-06-10T09:00:00Z", "participants": [], "summary": "Bins by block A"}','2026-06-10T09:00:00.000001Z','pending',NULL,0);
INSERT INTO "outbox" VALUES('01a2335a-609b-7000-b20c-5397d61ef705',2,'observation','01a2335a-606e-7000-9c66-6651eeecf827','upsert',NULL,'{"walkabout_id": "01a2335a-606c-7000-8b36-1a65b72e7b91", "kind": "fly_tipping", "offensive": true, "lat": 53.331, "lon": -2.7, "description": "Mattress by the bins", "logged_at": "2026-06-10T09:05:00Z"}','2026-06-10T09:00:00.000002Z','pending',NULL,0);
INSERT INTO "outbox" VALUES('01a2335a-609c-7001-be91-550a85c2ed0d',3,'note','01a2335a-609c-7000-a484-7b8aa348e96f','upsert',NULL,'{"parent_entity": "observation", "parent_id": "01a2335a-606e-7000-9c66-6651eeecf827", "text": "Reported twice", "created_at": "2026-06-10T09:06:00Z"}','2026-06-10T09:00:00.000003Z','pending',NULL,0);
CREATE TABLE patch (
	id TEXT NOT NULL, 
	name TEXT, 
	officer_ids JSON, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE person (
	id TEXT NOT NULL, 
	property_id TEXT, 
	name TEXT, 
	date_of_birth TEXT, 
	sex TEXT, 
	relationship TEXT, 
	partner_id TEXT, 
	status TEXT, 
	moved_in_on TEXT, 
	moved_out_on TEXT, 
	died_on TEXT, 
	cannot_share BOOLEAN, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE photo (
	id TEXT NOT NULL, 
	parent_entity TEXT, 
	parent_id TEXT, 
	sha256 TEXT, 
	bytes INTEGER, 
	width INTEGER, 
	height INTEGER, 
	taken_at TEXT, 
	lat FLOAT, 
	lon FLOAT, 
	caption TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE property (
	id TEXT NOT NULL, 
	uprn TEXT, 
	patch_id TEXT, 
	estate TEXT, 
	block TEXT, 
	address TEXT, 
	postcode TEXT, 
	lat FLOAT, 
	lon FLOAT, 
	bedrooms INTEGER, 
	tenancy_ref TEXT, 
	last_atv_on TEXT, 
	atv_due_on TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE repair (
	id TEXT NOT NULL, 
	property_id TEXT, 
	lat FLOAT, 
	lon FLOAT, 
	room TEXT, 
	hazard TEXT, 
	priority TEXT, 
	awaab TEXT, 
	description TEXT, 
	reported_at TEXT, 
	investigation_concluded_at TEXT, 
	status TEXT, 
	observation_id TEXT, 
	due_at TEXT, 
	investigate_by TEXT, 
	summary_by TEXT, 
	make_safe_by TEXT, 
	preventative_start_by TEXT, 
	reason TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE resync_seen (
	entity VARCHAR NOT NULL, 
	id VARCHAR NOT NULL, 
	PRIMARY KEY (entity, id)
);
CREATE TABLE tenancy_visit (
	id TEXT NOT NULL, 
	property_id TEXT, 
	visited_at TEXT, 
	tenant_present BOOLEAN, 
	id_verified BOOLEAN, 
	arrears_amount FLOAT, 
	weekly_rent FLOAT, 
	referrals JSON, 
	property_condition TEXT, 
	fire_safety_concerns TEXT, 
	notes TEXT, 
	pets TEXT, 
	adaptations TEXT, 
	overnight_carer BOOLEAN, 
	bedrooms_needed INTEGER, 
	bedroom_standard TEXT, 
	size_criteria_spare INTEGER, 
	size_criteria_reduction_pct INTEGER, 
	household_reason TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE walkabout (
	id TEXT NOT NULL, 
	estate TEXT, 
	started_at TEXT, 
	ended_at TEXT, 
	participants JSON, 
	grades JSON, 
	fire_safety_met BOOLEAN, 
	summary TEXT, 
	score_pct FLOAT, 
	result TEXT, 
	version INTEGER, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "walkabout" VALUES('01a2335a-606c-7000-8b36-1a65b72e7b91','Oak Farm','2026-06-10T09:00:00Z',NULL,'[]',NULL,NULL,'Bins by block A',NULL,NULL,NULL,0);
CREATE INDEX ix_property_patch_id ON property (patch_id);
CREATE INDEX ix_property_estate ON property (estate);
CREATE INDEX ix_person_partner_id ON person (partner_id);
CREATE INDEX ix_person_property_id ON person (property_id);
CREATE INDEX ix_asb_case_property_id ON asb_case (property_id);
CREATE INDEX ix_asb_case_complainant_id ON asb_case (complainant_id);
CREATE INDEX ix_asb_report_case_id ON asb_report (case_id);
CREATE INDEX ix_asb_report_reporter_id ON asb_report (reporter_id);
CREATE INDEX ix_repair_property_id ON repair (property_id);
CREATE INDEX ix_repair_observation_id ON repair (observation_id);
CREATE INDEX ix_tenancy_visit_property_id ON tenancy_visit (property_id);
CREATE INDEX ix_walkabout_estate ON walkabout (estate);
CREATE INDEX ix_observation_nearest_property_id ON observation (nearest_property_id);
CREATE INDEX ix_observation_walkabout_id ON observation (walkabout_id);
CREATE INDEX ix_note_parent_id ON note (parent_id);
CREATE INDEX ix_photo_parent_id ON photo (parent_id);
CREATE INDEX ix_ct_review_case_id ON ct_review (case_id);
CREATE INDEX ix_outbox_record ON outbox (entity, record_id, state);
COMMIT;

-- Agent identity (issue 14): the change log names four more kinds of snapshot entity. OAuth
-- signing keys are installation-wide; their change rows carry the nil account id
-- (00000000-0000-0000-0000-000000000000), which no account has.
ALTER TABLE config_changes DROP CONSTRAINT config_changes_entity_kind_check;
ALTER TABLE config_changes ADD CONSTRAINT config_changes_entity_kind_check CHECK (entity_kind IN (
    'account', 'server', 'tool', 'identity', 'policy', 'grant', 'member',
    'oauth_signing_key', 'oauth_authorization', 'trusted_issuer', 'identity_credential'));

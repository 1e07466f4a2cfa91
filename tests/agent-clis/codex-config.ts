/**
 * What every test's Codex config.toml ends with: no plugins, apps, updates or analytics, each of
 * which would otherwise make a run wait on a network sync (../shared/agent-cli-formats.md).
 */
export const CODEX_QUIET = `[features]
plugins = false
apps = false
remote_plugin = false
in_app_updates = false
[analytics]
enabled = false
`;

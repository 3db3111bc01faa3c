// What the build knew about the source tree. `buildCommit` is written into this module by
// Plugins/BuildInfoPlugin before every build (SynfireIO's `SynfireVersion.commit` reads it).

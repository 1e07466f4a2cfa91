import pkg from "../package.json" with { type: "json" };

// build.ts defines DASH_BUILD_VERSION (version + commit); running from source says "-dev".
declare const DASH_BUILD_VERSION: string | undefined;

export const VERSION: string =
  typeof DASH_BUILD_VERSION === "string" ? DASH_BUILD_VERSION : `${pkg.version}-dev`;

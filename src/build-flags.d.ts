// Values fixed when the worker is bundled (wrangler.toml's `define`, and the
// workerd tests' vitest config): code behind a false one is not in the bundle.

/** True only in builds for local work, which carry the development tools. */
declare const __DEV_TOOLS_BUILD__: boolean;

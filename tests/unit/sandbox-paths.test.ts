import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, normalize } from "node:path";
import fc from "fast-check";
import { DashError } from "../../src/domain/errors.ts";
import {
  checkGrantedPath,
  checkGrantedPaths,
  components,
  expandPath,
  isWithin,
  overlaps,
  type PathRules,
  realOrNormal,
  SYSTEM_PATHS,
} from "../../src/safety/paths.ts";

/**
 * Property-based tests of the path checks of the agent file sandbox (safety/paths.ts) over
 * generated paths, on a real directory tree with planted symlinks. Every verdict of
 * `checkGrantedPath` is compared with a reference model written here independently: one `lstat`
 * per component, string comparison of canonical paths.
 */

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------------
// The tree: ROOT/workspace/<name>/<name> for names that are prefixes of each other, a file, a
// DASH_HOME, and symlinks to inside and to outside ROOT.
// ---------------------------------------------------------------------------------------------

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), "dash-paths-")));
const OUTSIDE = realpathSync(mkdtempSync(join(tmpdir(), "dash-paths-outside-")));
const WS = `${ROOT}/workspace`;
const HOME = `${ROOT}/dash-home`;

const NAMES = ["auth", "auth-evil", "auth2", "au", "with space", "ünï cødé", "sub"];
const LINKS = ["link-in", "link-out", "link-rel", "link-home", "dangling", "loop"];

mkdirSync(`${HOME}/db`, { recursive: true });
mkdirSync(`${OUTSIDE}/sub`, { recursive: true });
for (const a of NAMES) for (const b of NAMES) mkdirSync(`${WS}/${a}/${b}`, { recursive: true });
writeFileSync(`${WS}/file.txt`, "x");
writeFileSync(`${WS}/auth/file.txt`, "x");
symlinkSync(`${WS}/auth2`, `${WS}/auth/link-in`); // inside ROOT
symlinkSync(OUTSIDE, `${WS}/link-out`); // outside ROOT
symlinkSync("../auth", `${WS}/auth-evil/link-rel`); // relative, to the look-alike's neighbour
symlinkSync(HOME, `${WS}/link-home`); // to the protected DASH_HOME
symlinkSync(`${ROOT}/nowhere`, `${WS}/dangling`);
symlinkSync(`${WS}/loop`, `${WS}/loop`);

afterAll(() => {
  rmSync(ROOT, { recursive: true, force: true });
  rmSync(OUTSIDE, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------------

/** `inner` is `outer` or below it; both canonical (absolute, no empty/./.. parts, no trailing /). */
function refWithin(inner: string, outer: string): boolean {
  return inner === outer || outer === "/" || inner.startsWith(`${outer}/`);
}

type Verdict = { ok: true; path: string } | { ok: false };

/** What checkGrantedPath must answer, computed with one lstat per component. */
function reference(raw: string, rules: PathRules): Verdict {
  if (raw.includes("\0") || !raw.startsWith("/")) return { ok: false };
  const parts = raw.split("/");
  if (parts.includes("..")) return { ok: false };
  const clean = parts.filter((part) => part !== "" && part !== ".");
  let at = "";
  for (const [i, part] of clean.entries()) {
    at += `/${part}`;
    let stat: ReturnType<typeof lstatSync> | undefined;
    try {
      stat = lstatSync(at);
    } catch {
      return { ok: false };
    }
    if (stat.isSymbolicLink()) return { ok: false };
    if (i < clean.length - 1 && !stat.isDirectory()) return { ok: false };
  }
  const path = `/${clean.join("/")}`;
  const clash = (other: string) => refWithin(path, other) || refWithin(other, path);
  if (SYSTEM_PATHS.some(clash) || rules.protected.some(clash)) return { ok: false };
  if (rules.roots && !rules.roots.some((root) => refWithin(path, root))) return { ok: false };
  return { ok: true, path };
}

/** The DashError `fn` throws (any other outcome fails the test). */
function refusal(fn: () => unknown): DashError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DashError) return error;
    throw error;
  }
  throw new Error("expected a DashError, got a result");
}

function expectRefused(raw: string, rules: PathRules, field = "config.allowedPaths[0]"): DashError {
  const error = refusal(() => checkGrantedPath(raw, field, rules));
  expect(error.code).toBe("VALIDATION_ERROR");
  expect(error.message).toContain(raw);
  expect(error.message).toContain(field);
  expect(error.details?.path).toBe(raw);
  expect(error.details?.field).toBe(field);
  return error;
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const tricky = fc.constantFrom(
  ...NAMES,
  ...LINKS,
  "..",
  ".",
  "",
  "workspace",
  "dash-home",
  "db",
  "file.txt",
  "missing",
  "etc",
  "usr",
  "var",
  "log",
  "tmp",
);
const randomName = fc
  .string({ minLength: 1, maxLength: 6 })
  .filter((s) => !s.includes("/") && !s.includes("\0"));
const component = fc.oneof({ arbitrary: tricky, weight: 9 }, { arbitrary: randomName, weight: 1 });
const base = fc.constantFrom(ROOT, WS, `${WS}/auth`, `${WS}/auth-evil`, HOME, OUTSIDE, "/", "");
const rawPath = fc
  .tuple(base, fc.array(component, { maxLength: 4 }), fc.boolean())
  .map(([start, parts, trailing]) => `${start}/${parts.join("/")}${trailing ? "/" : ""}`);

const rules: fc.Arbitrary<PathRules> = fc.record({
  protected: fc.subarray([HOME, `${WS}/auth2`]),
  roots: fc.option(fc.subarray([`${WS}/auth`, WS, `${WS}/au`, OUTSIDE]), { nil: undefined }),
});

/** The invariants of any accepted path. */
function expectSound(real: string, r: PathRules) {
  expect(isAbsolute(real)).toBe(true);
  const parts = real.split("/").slice(1);
  if (real !== "/") for (const part of parts) expect(["", ".", ".."]).not.toContain(part);
  expect(realpathSync(real)).toBe(real);
  if (r.roots) expect(r.roots.some((root) => refWithin(real, root))).toBe(true);
  for (const other of [...r.protected, ...SYSTEM_PATHS]) {
    expect(refWithin(real, other) || refWithin(other, real)).toBe(false);
  }
}

// ---------------------------------------------------------------------------------------------
// components, isWithin, overlaps
// ---------------------------------------------------------------------------------------------

const alphabet = fc.constantFrom("x", "a", "au", "auth", "auth-evil", "auth2", "ü", "with space");
const list = fc.array(alphabet, { maxLength: 5 });
/** A component list rendered with noise that means nothing: `//`, `/./`, a trailing slash. */
const render = (parts: string[]) =>
  fc
    .tuple(fc.array(fc.constantFrom("", "/", "./", "/./"), { minLength: 12, maxLength: 12 }), fc.boolean())
    .map(
      ([noise, trailing]) =>
        `${parts.map((part, i) => `/${noise[i] ?? ""}${part}`).join("") || "/"}${trailing ? "/" : ""}`,
    );
const canonical = (parts: string[]) => `/${parts.join("/")}`;
const isPrefix = (outer: string[], inner: string[]) =>
  outer.length <= inner.length && outer.every((part, i) => inner[i] === part);

/** Two lists, often one below the other so that both answers come up. */
const pair = fc.oneof(
  fc.tuple(list, list),
  fc.tuple(list, list).map(([outer, rest]): [string[], string[]] => [[...outer, ...rest], outer]),
);

describe("components / isWithin / overlaps", () => {
  test("components drops empty and '.' parts", () => {
    expect(components("/")).toEqual([]);
    expect(components("")).toEqual([]);
    expect(components("/a//b/./c/")).toEqual(["a", "b", "c"]);
    expect(components("/x/auth-evil")).toEqual(["x", "auth-evil"]);
  });

  test("isWithin(a, b) exactly when b's components are a prefix of a's (whatever the rendering)", () => {
    fc.assert(
      fc.property(
        pair.chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), render(a), render(b))),
        ([a, b, ra, rb]) => {
          expect(components(ra)).toEqual(a);
          const expected = isPrefix(b, a);
          expect(isWithin(ra, rb)).toBe(expected);
          // The same answer as the string comparison of the canonical forms.
          expect(refWithin(canonical(a), canonical(b))).toBe(expected);
          expect(overlaps(ra, rb)).toBe(expected || isPrefix(a, b));
          expect(overlaps(ra, rb)).toBe(overlaps(rb, ra));
        },
      ),
      RUNS,
    );
  });

  test("never within a prefix look-alike: /p/auth-evil is not in /p/auth", () => {
    fc.assert(
      fc.property(list, alphabet, fc.string({ minLength: 1, maxLength: 4 }), list, (p, name, ext, rest) => {
        fc.pre(!ext.includes("/") && ext !== ".");
        const outer = canonical([...p, name]);
        const inner = canonical([...p, `${name}${ext}`, ...rest]);
        expect(isWithin(inner, outer)).toBe(false);
        expect(isWithin(outer, inner)).toBe(false);
        expect(overlaps(inner, outer)).toBe(false);
      }),
      RUNS,
    );
    expect(isWithin("/x/auth-evil", "/x/auth")).toBe(false);
    expect(isWithin("/workspace/auth2/sub", "/workspace/auth")).toBe(false);
    expect(isWithin("/workspace/auth", "/workspace/au")).toBe(false);
  });

  test("reflexive, across renderings", () => {
    fc.assert(
      fc.property(
        list.chain((a) => fc.tuple(render(a), render(a))),
        ([r1, r2]) => {
          expect(isWithin(r1, r2)).toBe(true);
          expect(isWithin(r2, r1)).toBe(true);
          expect(overlaps(r1, r2)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  test("transitive", () => {
    const chain = fc.tuple(list, list, list).map(([c, s1, s2]) => [[...c, ...s1, ...s2], [...c, ...s1], c]);
    fc.assert(
      fc.property(fc.oneof(chain, fc.tuple(list, list, list)), ([a, b, c]) => {
        const [ra, rb, rc] = [canonical(a), canonical(b), canonical(c)];
        if (isWithin(ra, rb) && isWithin(rb, rc)) expect(isWithin(ra, rc)).toBe(true);
      }),
      RUNS,
    );
  });

  test("everything is within /", () => {
    fc.assert(
      fc.property(
        list.chain((a) => render(a)),
        (ra) => {
          expect(isWithin(ra, "/")).toBe(true);
          expect(overlaps("/", ra)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// checkGrantedPath over generated paths
// ---------------------------------------------------------------------------------------------

describe("checkGrantedPath (generated paths on a real tree)", () => {
  test("agrees with the reference model; a refusal names the path, an acceptance is sound", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(rawPath, rules, (raw, r) => {
        const expected = reference(raw, r);
        if (expected.ok) {
          const real = checkGrantedPath(raw, "config.allowedPaths[0]", r);
          expect(real).toBe(expected.path);
          expectSound(real, r);
          accepted++;
        } else {
          expectRefused(raw, r);
          refused++;
        }
      }),
      { numRuns: 600 },
    );
    // The generators reach both sides.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  test("a path with a '..' component is refused, even when it lands back inside", () => {
    const withDotDot = fc
      .tuple(fc.array(component, { maxLength: 3 }), fc.array(component, { maxLength: 3 }), base)
      .map(([before, after, start]) => `${start}/${[...before, "..", ...after].join("/")}`);
    fc.assert(
      fc.property(withDotDot, rules, (raw, r) => {
        expect(expectRefused(raw, r).message).toContain("'..'");
      }),
      RUNS,
    );
    expectRefused(`${WS}/auth/../auth`, { protected: [] });
    expectRefused(`${WS}/auth/sub/..`, { protected: [] });
  });

  test("a path through a planted symlink is refused, wherever it points", () => {
    const links = fc.constantFrom(
      `${WS}/auth/link-in`,
      `${WS}/link-out`,
      `${WS}/auth-evil/link-rel`,
      `${WS}/link-home`,
    );
    const suffix = fc.array(fc.constantFrom("sub", "auth", ".", "", "db", "missing"), { maxLength: 2 });
    fc.assert(
      fc.property(links, suffix, fc.boolean(), (link, rest, trailing) => {
        const raw = `${[link, ...rest].join("/")}${trailing ? "/" : ""}`;
        expectRefused(raw, { protected: [] });
      }),
      RUNS,
    );
    expect(expectRefused(`${WS}/link-out`, { protected: [] }).message).toContain(OUTSIDE);
    expect(expectRefused(`${WS}/auth/link-in/sub`, { protected: [] }).message).toContain("symlink");
    expectRefused(`${WS}/dangling`, { protected: [] });
    expectRefused(`${WS}/loop`, { protected: [] });
  });

  test("a relative path is refused", () => {
    const relative = fc
      .array(component, { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join("/"))
      .filter((raw) => !raw.startsWith("/"));
    fc.assert(
      fc.property(relative, (raw) => {
        expectRefused(raw, { protected: [] });
      }),
      RUNS,
    );
    expectRefused("", { protected: [] });
    expectRefused("workspace/auth", { protected: [] });
    expectRefused("~/x", { protected: [] });
  });

  test("a path that does not exist is refused", () => {
    const missing = fc
      .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...NAMES), fc.string({ minLength: 1, maxLength: 8 }))
      .map(([a, b, tail]) => `${WS}/${a}/${b}/missing-${tail.replaceAll("/", "_").replaceAll("\0", "_")}`);
    fc.assert(
      fc.property(missing, (raw) => {
        expect(expectRefused(raw, { protected: [] }).message).toContain("does not exist");
      }),
      RUNS,
    );
    // Below a file is not a place either.
    expectRefused(`${WS}/file.txt/sub`, { protected: [] });
  });

  test("a NUL byte anywhere is refused", () => {
    const valid = fc.constantFrom(WS, `${WS}/auth`, `${WS}/auth/sub`, `${WS}/with space/ünï cødé`);
    fc.assert(
      fc.property(valid, fc.nat(), (path, at) => {
        const i = at % (path.length + 1);
        const raw = `${path.slice(0, i)}\0${path.slice(i)}`;
        expect(expectRefused(raw, { protected: [] }).message).toContain("NUL");
      }),
      RUNS,
    );
  });

  test("prefix look-alikes of a root are refused; what is inside it is accepted", () => {
    const r: PathRules = { protected: [HOME], roots: [`${WS}/auth`] };
    expect(expectRefused(`${WS}/auth-evil`, r).message).toContain("outside the allowed roots");
    expectRefused(`${WS}/auth-evil/auth`, r);
    expectRefused(`${WS}/auth2`, r);
    expectRefused(`${WS}/au`, r);
    expectRefused(WS, r);
    expect(checkGrantedPath(`${WS}/auth/sub`, "f", r)).toBe(`${WS}/auth/sub`);
    expect(checkGrantedPath(`${WS}/auth`, "f", r)).toBe(`${WS}/auth`);
    expect(checkGrantedPath(`${WS}/auth/./sub//`, "f", r)).toBe(`${WS}/auth/sub`);
    expect(checkGrantedPath(`${WS}/auth/file.txt`, "f", r)).toBe(`${WS}/auth/file.txt`);
    // Below the look-alike, under any name of the tree.
    for (const name of NAMES) {
      expectRefused(`${WS}/auth-evil/${name}`, r);
      expect(checkGrantedPath(`${WS}/auth/${name}`, "f", r)).toBe(`${WS}/auth/${name}`);
    }
  });

  test("protected paths: neither inside nor around them", () => {
    const r: PathRules = { protected: [HOME] };
    expect(expectRefused(HOME, r).message).toContain(HOME);
    expectRefused(`${HOME}/db`, r);
    expectRefused(ROOT, r); // contains DASH_HOME
    expect(checkGrantedPath(WS, "f", r)).toBe(WS);
  });

  test("system paths and / are refused", () => {
    for (const raw of ["/", "/etc", "/usr/bin", "/var", "/var/log", "/proc", "/dev/null", "/boot"]) {
      expectRefused(raw, { protected: [] });
    }
  });

  test("unicode and spaces pass through unchanged", () => {
    const raw = `${WS}/with space/ünï cødé`;
    expect(checkGrantedPath(raw, "f", { protected: [] })).toBe(raw);
  });

  test("an empty list of roots admits nothing", () => {
    expectRefused(`${WS}/auth`, { protected: [], roots: [] });
  });
});

describe("checkGrantedPaths", () => {
  test("realpaths in order, without repeats; undefined is none", () => {
    const r: PathRules = { protected: [HOME] };
    expect(checkGrantedPaths(undefined, "config.allowedPaths", r)).toEqual([]);
    expect(
      checkGrantedPaths([`${WS}/auth`, `${WS}/au`, `${WS}/auth/`, `${WS}//auth`], "config.allowedPaths", r),
    ).toEqual([`${WS}/auth`, `${WS}/au`]);
  });

  test("a refusal names the index of the bad path", () => {
    const error = refusal(() =>
      checkGrantedPaths([`${WS}/auth`, `${WS}/link-out`], "config.allowedPaths", { protected: [] }),
    );
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.details).toEqual({ field: "config.allowedPaths[1]", path: `${WS}/link-out` });
    expect(error.message).toContain("config.allowedPaths[1]");
  });

  test("generated lists: all accepted or the first bad one named", () => {
    fc.assert(
      fc.property(fc.array(rawPath, { maxLength: 4 }), rules, (raws, r) => {
        const verdicts = raws.map((raw) => reference(raw, r));
        const bad = verdicts.findIndex((v) => !v.ok);
        if (bad === -1) {
          const expected = [...new Set(verdicts.map((v) => (v.ok ? v.path : "")))];
          expect(checkGrantedPaths(raws, "p", r)).toEqual(expected);
        } else {
          const error = refusal(() => checkGrantedPaths(raws, "p", r));
          expect(error.details).toEqual({ field: `p[${bad}]`, path: raws[bad] });
        }
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// realOrNormal, expandPath
// ---------------------------------------------------------------------------------------------

describe("realOrNormal", () => {
  test("the realpath of what exists, the normal form of what does not", () => {
    expect(realOrNormal(`${WS}/auth/link-in`)).toBe(`${WS}/auth2`);
    expect(realOrNormal(`${WS}/auth-evil/link-rel/sub`)).toBe(`${WS}/auth/sub`);
    expect(realOrNormal(`${WS}/auth/./sub/`)).toBe(`${WS}/auth/sub`);
    expect(realOrNormal(`${WS}/nope/../x//y`)).toBe(`${WS}/x/y`);
  });
});

describe("expandPath", () => {
  /** `${NAME}`, spelt so that it is not mistaken for a template placeholder. */
  const braced = (name: string) => `\${${name}}`;
  const env = { HOME: "/home/me", XDG: "/var/xdg", EMPTY: "", REL: "rel/dir" };

  test("~ and variables", () => {
    expect(expandPath("~", env)).toBe("/home/me");
    expect(expandPath("~/.npm", env)).toBe("/home/me/.npm");
    expect(expandPath("$HOME/.cache", env)).toBe("/home/me/.cache");
    expect(expandPath(`${braced("XDG")}/data`, env)).toBe("/var/xdg/data");
    expect(expandPath(`${braced("XDG")}x/$HOME`, env)).toBe("/var/xdgx/home/me");
    expect(expandPath("/abs/./a//b/../c/", env)).toBe("/abs/a/c/");
    // ~ only at the start and only as a whole component.
    expect(expandPath("/a/~/b", env)).toBe("/a/~/b");
    expect(expandPath("~other/x", env)).toBeNull();
  });

  test("an unset (or empty) variable gives null", () => {
    expect(expandPath("$NOPE/x", env)).toBeNull();
    expect(expandPath(`${braced("NOPE")}/x`, env)).toBeNull();
    expect(expandPath("/a/$NOPE", env)).toBeNull();
    expect(expandPath("$EMPTY/x", env)).toBeNull();
    expect(expandPath("~/x", {})).toBeNull();
  });

  test("a relative result gives null", () => {
    expect(expandPath("rel/x", env)).toBeNull();
    expect(expandPath("$REL/x", env)).toBeNull();
    expect(expandPath("", env)).toBeNull();
  });

  test("generated: $VAR and its braced form expand to the normal form of the value", () => {
    const name = fc.stringMatching(/^[A-Za-z_]\w{0,7}$/);
    const value = fc
      .array(fc.constantFrom("a", "b c", "ü", "..", ".", ""), { maxLength: 4 })
      .map((p) => `/${p.join("/")}`);
    fc.assert(
      fc.property(name, value, fc.boolean(), (key, val, inBraces) => {
        const ref = inBraces ? braced(key) : `$${key}`;
        expect(expandPath(`${ref}/tail`, { [key]: val })).toBe(normalize(`${val}/tail`));
        expect(expandPath(`${ref}/tail`, {})).toBeNull();
      }),
      RUNS,
    );
  });
});

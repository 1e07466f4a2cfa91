/**
 * The `Dash-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A
 * receiver recomputes v1 over the raw body it got, compares in constant time, and rejects a `t`
 * too far from its clock (a replay). The timestamp is signed with the body, so it cannot be moved.
 */
export function signature(secret: string, body: string, at: number): string {
  const t = Math.floor(at / 1000);
  const mac = new Bun.CryptoHasher("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${mac}`;
}

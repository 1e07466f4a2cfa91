/** @jsxImportSource react */
import { type FormEvent, useState } from "react";

export interface LoginFormProps {
  error: string | null;
  onSubmit: (key: string) => void;
}

/** Asks for an API key. Posted to nothing: the key goes to sessionStorage, never into a URL. */
export function LoginForm({ error, onSubmit }: LoginFormProps) {
  const [key, setKey] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed) onSubmit(trimmed);
  };
  return (
    <form className="login" onSubmit={submit} autoComplete="off">
      <h1>◆ Dash</h1>
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        placeholder="dash_api_key_…"
        value={key}
        onChange={(event) => setKey(event.target.value)}
        required
      />
      <button type="submit">Connect</button>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <p className="hint">
        The first <code>dash serve</code> saved an admin key in <code>~/.dash/credentials</code>;{" "}
        <code>dash keys create</code> makes a read-only one.
      </p>
    </form>
  );
}

// Who is signed in. The token is kept in localStorage (the app reopens signed in, in every tab);
// the person's name and memberships come from `me`.

import type { PersonFragment, Role } from "../graphql/generated";

const TOKEN_KEY = "mcs.token";

function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: sign in for this page only
  }
}

class Session {
  token = $state<string | null>(storedToken());
  user = $state<PersonFragment | null>(null);
  /** Set when the server ended the session: Entrar says so, then returns to `returnTo`. */
  expired = $state(false);
  returnTo = $state<string | null>(null);

  get signedIn(): boolean {
    return this.token !== null;
  }

  start(token: string, user: PersonFragment): void {
    this.token = token;
    this.user = user;
    this.expired = false;
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch {
      /* not persisted */
    }
  }

  /** The token changed (changePassword issues a new one). */
  replaceToken(token: string): void {
    this.token = token;
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch {
      /* not persisted */
    }
  }

  end(): void {
    this.token = null;
    this.user = null;
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch {
      /* nothing stored */
    }
  }

  expire(): void {
    this.returnTo = location.pathname + location.search;
    this.expired = true;
    this.end();
  }

  roles(): Set<Role> {
    return new Set(this.user?.memberships.map((m) => m.role) ?? []);
  }

  has(...roles: Role[]): boolean {
    const mine = this.roles();
    return roles.some((r) => mine.has(r));
  }

  /** Units where the person may register (REGISTRAR or HEAD there; ADMIN: any). */
  registeringUnits(): { id: string; acronym: string; name: string }[] {
    const units = new Map<string, { id: string; acronym: string; name: string }>();
    for (const m of this.user?.memberships ?? []) {
      if (m.role === "REGISTRAR" || m.role === "HEAD") units.set(m.unit.id, m.unit);
    }
    return [...units.values()];
  }
}

export const session = new Session();

import { useCallback, useEffect, useState } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router";
import { readSession, signOut } from "./api/auth";
import { setUnauthorizedHandler } from "./api/http";
import type { Session } from "./api/types";
import { Problem } from "./components/Problem";
import { DeadLettersView } from "./views/dlq/DeadLettersView";
import { LimitsView } from "./views/limits/LimitsView";
import { OverviewView } from "./views/OverviewView";
import { RunDetailView } from "./views/run/RunDetailView";
import { RunsView } from "./views/runs/RunsView";
import { SchedulesView } from "./views/schedules/SchedulesView";
import { SignInView } from "./views/SignInView";
import { TriggersView } from "./views/triggers/TriggersView";
import { WorkersView } from "./views/WorkersView";
import { WorkflowsView } from "./views/WorkflowsView";

type Auth =
  | { state: "checking" }
  | { state: "failed"; error: unknown }
  | { state: "signed-out" }
  | { state: "ready"; session: Session | null; authRequired: boolean };

const NAV: [string, string][] = [
  ["/runs", "Runs"],
  ["/dead-letters", "Dead letters"],
  ["/workflows", "Workflows"],
  ["/schedules", "Schedules"],
  ["/triggers", "Triggers"],
  ["/limits", "Limits"],
  ["/workers", "Workers"],
  ["/overview", "Overview"],
];

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const check = useCallback(() => {
    readSession().then(
      ({ session, authRequired }) =>
        setAuth(
          authRequired && !session ? { state: "signed-out" } : { state: "ready", session, authRequired },
        ),
      (error: unknown) => setAuth({ state: "failed", error }),
    );
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => setAuth({ state: "signed-out" }));
    check();
  }, [check]);

  if (auth.state === "checking") return <p className="note">Connecting…</p>;
  if (auth.state === "failed") return <Problem error={auth.error} what="Session" />;
  if (auth.state === "signed-out") {
    return <SignInView onSignedIn={(session) => setAuth({ state: "ready", session, authRequired: true })} />;
  }
  return (
    <div className="app">
      <header className="top">
        <strong className="brand">Legato</strong>
        <nav>
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} data-testid={`nav-${to.slice(1)}`}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="who" data-testid="session">
          {auth.session ? `${auth.session.name ?? "signed in"} (${auth.session.scope ?? "?"})` : ""}
          {auth.session && (
            <button
              type="button"
              className="link"
              data-testid="sign-out"
              onClick={() =>
                signOut().finally(() => (auth.authRequired ? setAuth({ state: "signed-out" }) : check()))
              }
            >
              sign out
            </button>
          )}
        </span>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Navigate to="/runs" replace />} />
          <Route path="/runs" element={<RunsView />} />
          <Route path="/runs/:runId" element={<RunDetailView />} />
          <Route path="/dead-letters" element={<DeadLettersView />} />
          <Route path="/dead-letters/:id" element={<DeadLettersView />} />
          <Route path="/workflows" element={<WorkflowsView />} />
          <Route path="/workflows/:id" element={<WorkflowsView />} />
          <Route path="/schedules" element={<SchedulesView />} />
          <Route path="/schedules/:id" element={<SchedulesView />} />
          <Route path="/triggers" element={<TriggersView />} />
          <Route path="/triggers/:id" element={<TriggersView />} />
          <Route path="/limits" element={<LimitsView />} />
          <Route path="/workers" element={<WorkersView />} />
          <Route path="/overview" element={<OverviewView />} />
          <Route path="*" element={<p data-testid="not-found">No such page.</p>} />
        </Routes>
      </main>
    </div>
  );
}

/**
 * The committed observability files (infra/observability), read for the tests: the Grafana
 * dashboard's panels and the Prometheus alert and recording rules, each with its expression.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const OBSERVABILITY_DIR = fileURLToPath(new URL('../../infra/observability', import.meta.url));
export const DASHBOARD_PATH = path.join(OBSERVABILITY_DIR, 'grafana', 'embed-front-door.json');
export const ALERTS_PATH = path.join(OBSERVABILITY_DIR, 'prometheus', 'alerts.yaml');
export const ALERTS_TEST_PATH = path.join(OBSERVABILITY_DIR, 'prometheus', 'alerts.test.yaml');

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly legendFormat?: string;
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardTarget[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: { readonly list: readonly { readonly name: string; readonly type: string; readonly query?: string }[] };
  readonly panels: readonly DashboardPanel[];
}

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export const readDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;

export const readRules = (): Rule[] =>
  (parse(readFileSync(ALERTS_PATH, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

/** Panels that show data (rows only group them). */
export const dataPanels = (dashboard: Dashboard): DashboardPanel[] => dashboard.panels.filter((panel) => panel.type !== 'row');

/**
 * A dashboard expression as Prometheus takes it: Grafana's interval variables replaced by a
 * window that holds several samples at the given scrape interval.
 */
export const asPromQL = (expr: string, rateWindow: string): string =>
  expr.replaceAll('$__rate_interval', rateWindow).replaceAll('${__rate_interval}', rateWindow);

/** The names of the metrics an expression reads (`efd_` series), recording rules excluded. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/\befd_[a-z0-9_]+/g)) names.add(match[0]);
  return [...names];
}

/** A series name as /metrics lists it: histogram samples belong to their family. */
export const familyOf = (name: string): string => name.replace(/_(bucket|sum|count)$/, '');

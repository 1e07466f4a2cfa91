import { EventBus } from "../bus/bus.ts";
import type { Config } from "../config.ts";
import { ApprovalTimer } from "../core/approval-timer.ts";
import { Conductor } from "../core/conductor.ts";
import { TableFeed } from "../core/event-feed.ts";
import { Forecaster } from "../core/forecaster.ts";
import { Lifecycle } from "../core/lifecycle.ts";
import { NodeWatch, nodeIdOf } from "../core/node-watch.ts";
import { startRetention } from "../core/retention.ts";
import { Scheduler } from "../core/scheduler.ts";
import { DashError } from "../domain/errors.ts";
import { createLogger, type Logger } from "../log.ts";
import { Notifier } from "../notify/notifier.ts";
import type { SinkPlugin } from "../notify/sink-plugin.ts";
import type { ServerPlugins } from "../plugins/registry.ts";
import { presetsWith } from "../runtimes/presets.ts";
import { modelKey, PRICES } from "../runtimes/pricing.ts";
import { ensureAdminKey, importConfigKeys } from "../safety/api-keys.ts";
import { openStore, storeLocation } from "../storage/open.ts";
import { VERSION } from "../version.ts";
import { Metrics } from "./metrics.ts";
import { startServer } from "./server.ts";

export interface App {
  url: URL;
  /** The admin key made on the first start (empty database), to show once; null otherwise. */
  adminKey: string | null;
  log: Logger;
  /** Stops accepting, lets in-flight requests finish, stops background jobs, closes the database. */
  stop(): Promise<void>;
}

/** Most servers list no plugin: the loader and its schemas are imported only when one is listed. */
async function serverPlugins(config: Config, presets: ServerPlugins["presets"]): Promise<ServerPlugins> {
  if (config.plugins.length === 0) return { presets, sinks: new Map() };
  const { loadServerPlugins } = await import("../plugins/registry.ts");
  return loadServerPlugins(config, presets);
}

/** Everything `dash serve` runs: the migrated store, the retention job and the HTTP server. */
export async function startApp(
  config: Config,
  listen: { port: number; host: string },
  log?: Logger,
): Promise<App> {
  const logger = log ?? createLogger(config.log.level, { service: "dash" });
  const { store, kind: storeKind } = await openStore(config, (warning) => logger.warn(warning));
  const nodeId = nodeIdOf(config.home);
  const db = config.databasePath;
  const sandbox = {
    protect: [config.home, db, `${db}-wal`, `${db}-shm`],
    allowedRoots: config.sandbox.allowedRoots,
    hide: config.sandbox.hide,
    user: config.sandbox.user,
  };
  let server: ReturnType<typeof startServer>;
  let feed: TableFeed | undefined;
  let lifecycle: Lifecycle;
  let notifier: Notifier | undefined;
  const prices = {
    ...PRICES,
    ...Object.fromEntries(Object.entries(config.pricing).map(([model, price]) => [modelKey(model), price])),
  };
  // config.yaml's plugins: add runtimes (over the presets) and sinks; a broken one stops the start.
  const plugins = await serverPlugins(config, presetsWith(config.runtimes, config.openclaw)).catch(
    (error: unknown) => {
      store.close();
      throw error;
    },
  );
  const presets = plugins.presets;
  const pluginSinks: ReadonlyMap<string, SinkPlugin> = plugins.sinks;
  try {
    await importConfigKeys(store, config.api.keys);
    // Calls in flight when the last server died never settled: release what they held.
    const lost = await store.loseOpenCalls(Date.now());
    if (lost.length > 0)
      logger.warn("released the reservations of gateway calls cut by a restart", { calls: lost.length });
    const bus = new EventBus(logger.onError("event listener failed"));
    // Several writers (this node's pool, other nodes): the bus is fed from the table in commit order.
    if (storeKind === "postgres") {
      feed = new TableFeed(store, bus, logger.onError("reading committed events failed"));
      await feed.start();
    }
    lifecycle = new Lifecycle(store, bus, {
      ...(feed ? { feed } : {}),
      maxAgentsPerSwarm: config.limits.maxAgentsPerSwarm,
      maxDepth: config.swarms.maxDepth,
      maxChildren: config.swarms.maxChildren,
      defaultBudget: { amount: config.budget.defaultAmount, currency: config.budget.currency },
    });
    // Before the server listens: a request made at once already gets the configured timeout action.
    lifecycle.approvalSettings = config.approvals;
    notifier = new Notifier(store, bus, config.notify, pluginSinks, logger.child({ component: "notify" }));
    await notifier.start(config.notify.sinks);
    const deps = {
      notifier,
      storeKind,
      nodeId,
      sandbox,
      runtimes: { presets, defaultRuntime: config.defaults.runtime },
      store,
      lifecycle,
      log: logger,
      startedAt: Date.now(),
      metrics: new Metrics(bus),
      home: config.home,
      gateway: {
        ...config.gateway,
        providers: config.providers,
        prices,
        presets,
        defaultRuntime: config.defaults.runtime,
      },
    };
    server = startServer(deps, {
      port: listen.port,
      hostname: listen.host,
      limits: {
        perMinute: config.limits.rateLimitPerMinute,
        swarmCreatesPerMinute: config.limits.swarmCreatesPerMinute,
      },
      corsOrigins: config.cors.origins,
      websocket: config.websocket,
      ui: config.ui.enabled,
    });
  } catch (error) {
    await notifier?.stop();
    await feed?.stop();
    store.close();
    if (error instanceof DashError) throw error;
    const inUse = (error as { code?: string }).code === "EADDRINUSE";
    throw new DashError(
      "CONFIG_ERROR",
      inUse
        ? `port ${listen.port} is already in use: is another dash serve running? Pick another with --port`
        : `cannot listen on ${listen.host}:${listen.port}: ${(error as Error).message}`,
    );
  }
  const scheduler = new Scheduler(
    lifecycle,
    {
      nodeId,
      home: config.home,
      url: server.server.url.origin,
      presets,
      defaultRuntime: config.defaults.runtime,
      sandbox,
      prices,
      providers: config.providers,
      ...config.agents,
    },
    logger.child({ component: "scheduler" }),
  );
  await scheduler.start();
  const nodeWatch = new NodeWatch(
    lifecycle,
    scheduler,
    { id: nodeId, url: server.server.url.origin, version: VERSION },
    config.nodes,
    logger.child({ component: "nodes" }),
  );
  await nodeWatch.start();
  const conductor = new Conductor(lifecycle, logger.child({ component: "conductor" }));
  await conductor.start();
  const forecaster = new Forecaster(
    lifecycle,
    config.swarms.forecastMs,
    logger.child({ component: "forecast" }),
  );
  forecaster.start();
  const approvals = new ApprovalTimer(
    lifecycle,
    1000,
    logger.child({ component: "approvals" }),
    config.approvals,
  );
  await approvals.start();
  const retention = startRetention(store, config.events, logger.onError("event retention failed"));
  const adminKey = await ensureAdminKey(store, config.home, server.server.url.origin);
  if (adminKey) logger.info("created the first admin API key", { credentials: `${config.home}/credentials` });
  logger.info("dash serving", {
    version: VERSION,
    url: server.server.url.href,
    database: storeLocation(config),
    store: storeKind,
    node: nodeId,
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.server.url,
    adminKey,
    log: logger,
    stop: () => {
      stopping ??= (async () => {
        retention.stop();
        await nodeWatch.stop();
        await forecaster.stop();
        await approvals.stop();
        await conductor.stop();
        await scheduler.stop();
        await server.stop();
        await notifier?.stop();
        await feed?.stop();
        await store.close();
        logger.info("stopped");
      })();
      return stopping;
    },
  };
}

//! The loaded application: the engine, each component compiled once and
//! pre-instantiated, the router, and the dispatch of one request to one fresh
//! instance with Spin's request headers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tracing::{Instrument, info, info_span, warn};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::bindings::fermyon::spin::{key_value, sqlite, variables};
use crate::key_value::KeyValueStores;
use crate::manifest::{AppManifest, RouteSetting};
use crate::outbound::OutboundPolicy;
use crate::router::{RouteMatch, Router};
use crate::runtime_config::RuntimeConfig;
use crate::sqlite::SqliteDatabases;
use crate::state::RequestState;
use crate::variables::ResolvedVariables;

/// Bounds on what one instance may use.
#[derive(Debug, Clone, Copy)]
pub struct InstanceLimits {
    /// Linear memory per instance.
    pub memory_bytes: usize,
    /// Component instances alive at once across all requests.
    pub concurrent_instances: u32,
    /// Core instances per component instance.
    pub instances: usize,
}

impl Default for InstanceLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 1 << 30,
            concurrent_instances: 256,
            instances: 64,
        }
    }
}

/// One component, ready to serve.
pub struct ComponentRuntime {
    pub id: Arc<str>,
    pre: ProxyPre<RequestState>,
    pub key_value_stores: BTreeSet<String>,
    pub sqlite_databases: BTreeSet<String>,
    pub variables: BTreeMap<String, String>,
    pub environment: BTreeMap<String, String>,
    pub outbound: OutboundPolicy,
}

/// The running application.
pub struct App {
    pub name: String,
    pub router: Router,
    components: HashMap<String, Arc<ComponentRuntime>>,
    pub key_value: KeyValueStores,
    pub sqlite: SqliteDatabases,
    pub limits: InstanceLimits,
}

/// Where the app is listening, for `spin-full-url` and service chaining.
#[derive(Debug, Clone)]
pub struct Origin {
    pub scheme: &'static str,
    pub authority: String,
}

impl App {
    /// Compiles every component (through the on-disk cache), checks every grant
    /// and variable, and opens the stores: everything that can fail, fails here.
    pub async fn load(
        manifest: &AppManifest,
        variables: &ResolvedVariables,
        runtime_config: &RuntimeConfig,
        cache_dir: &Path,
    ) -> anyhow::Result<Arc<Self>> {
        let limits = InstanceLimits::default();
        let engine = build_engine(cache_dir, &limits)?;
        let linker = build_linker(&engine)?;

        let mut components = HashMap::new();
        for id in manifest.components.keys() {
            let runtime = load_component(&engine, &linker, manifest, variables, id)
                .with_context(|| format!("cannot load component `{id}`"))?;
            components.insert(id.clone(), Arc::new(runtime));
        }

        let public_routes =
            manifest
                .http_triggers
                .iter()
                .filter_map(|trigger| match &trigger.route {
                    RouteSetting::Path(route) => Some((route.clone(), trigger.component.clone())),
                    RouteSetting::Private { .. } => None,
                });
        let router = Router::new(manifest.base_path(), public_routes)?;

        let kv_labels = manifest
            .components
            .values()
            .flat_map(|c| c.key_value_stores.clone());
        let key_value = KeyValueStores::open(&runtime_config.key_value_stores, kv_labels).await?;
        let db_labels = manifest
            .components
            .values()
            .flat_map(|c| c.sqlite_databases.clone());
        let sqlite = SqliteDatabases::open(&runtime_config.sqlite_databases, db_labels)?;

        Ok(Arc::new(Self {
            name: manifest.application.name.clone(),
            router,
            components,
            key_value,
            sqlite,
            limits,
        }))
    }

    /// Serves one request from outside: route it, or answer 404.
    pub async fn handle<B>(
        self: &Arc<Self>,
        request: Request<B>,
        origin: &Origin,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let path = request.uri().path().to_string();
        let Some(found) = self.router.route(&path) else {
            return error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("no route for {path}"),
            );
        };
        let component = found.component.to_string();
        let request = with_spin_headers(request, &found, origin, client);
        self.serve(&component, request).await
    }

    /// Serves a request that another component sent to `http://<id>.spin.internal`.
    pub async fn handle_chained<B>(
        self: &Arc<Self>,
        component: &str,
        request: Request<B>,
        origin: &Origin,
    ) -> Option<Response<HyperOutgoingBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        if !self.components.contains_key(component) {
            return None;
        }
        let path = request.uri().path().to_string();
        let matched = self
            .router
            .route(&path)
            .filter(|m| m.component == component);
        let request = match matched {
            Some(found) => with_spin_headers(
                request,
                &found,
                origin,
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ),
            None => request,
        };
        Some(self.serve(component, request).await)
    }

    /// Runs one fresh instance of a component on a request.
    async fn serve<B>(
        self: &Arc<Self>,
        component_id: &str,
        request: Request<B>,
    ) -> Response<HyperOutgoingBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let Some(component) = self.components.get(component_id).cloned() else {
            return error_response(StatusCode::NOT_FOUND, "not_found", "no such component");
        };
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let span = info_span!("http.request", component = %component.id, %method, %path);

        let started = std::time::Instant::now();
        let response = self
            .instantiate_and_call(component, request)
            .instrument(span.clone())
            .await;
        let response = response.unwrap_or_else(|error| {
            warn!(parent: &span, error = format!("{error:#}"), "component failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the component failed while handling this request; the host log has the cause",
            )
        });
        info!(
            parent: &span,
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "request served"
        );
        response
    }

    /// Creates and drops one instance of a component without calling it: the
    /// fixed cost every request pays before the component's own work.
    pub async fn instantiate_only(self: &Arc<Self>, component_id: &str) -> anyhow::Result<()> {
        let component = self
            .components
            .get(component_id)
            .cloned()
            .with_context(|| format!("no component `{component_id}`"))?;
        let pre = component.pre.clone();
        let mut store = Store::new(pre.engine(), RequestState::new(Arc::clone(self), component));
        store.limiter(|state| state.limits());
        pre.instantiate_async(&mut store).await?;
        Ok(())
    }

    async fn instantiate_and_call<B>(
        self: &Arc<Self>,
        component: Arc<ComponentRuntime>,
        request: Request<B>,
    ) -> anyhow::Result<Response<HyperOutgoingBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let pre = component.pre.clone();
        let mut store = Store::new(pre.engine(), RequestState::new(Arc::clone(self), component));
        store.limiter(|state| state.limits());

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = {
            let mut http = wasmtime_wasi_http::WasiHttpView::http(store.data_mut());
            let incoming = http.new_incoming_request(Scheme::Http, request)?;
            let outparam = http.new_response_outparam(sender)?;
            (incoming, outparam)
        };

        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming.0, incoming.1)
                .await
        });

        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => bail!("the component answered with an error: {code:?}"),
            Err(_) => match task.await {
                Ok(Ok(())) => bail!("the component returned without sending a response"),
                Ok(Err(error)) => Err(anyhow::Error::from(error).context("the component trapped")),
                Err(join) => Err(anyhow::Error::from(join).context("the request task failed")),
            },
        }
    }
}

/// How much of an instance's tables and stack stays mapped between requests.
const RESIDENT_BYTES: usize = 256 << 10;

/// How much of an instance's linear memory stays mapped between requests:
/// enough for a component's stack, data and the heap of a large request.
const RESIDENT_MEMORY_BYTES: usize = 16 << 20;

fn build_engine(cache_dir: &Path, limits: &InstanceLimits) -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);

    let mut pooling = wasmtime::PoolingAllocationConfig::default();
    pooling.total_component_instances(limits.concurrent_instances);
    pooling.total_core_instances(limits.concurrent_instances * 4);
    pooling.total_memories(limits.concurrent_instances * 2);
    pooling.total_tables(limits.concurrent_instances * 4);
    pooling.max_memory_size(limits.memory_bytes);
    // Keeping the pages of each slot resident spares every request the page
    // faults of a freshly zeroed memory and stack, and the other threads the
    // TLB flushes of giving them back. Where Linux can say which pages a
    // request wrote, only those are reset.
    pooling.linear_memory_keep_resident(RESIDENT_MEMORY_BYTES);
    pooling.pagemap_scan(wasmtime::Enabled::Auto);
    pooling.table_keep_resident(RESIDENT_BYTES);
    pooling.async_stack_keep_resident(RESIDENT_BYTES);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));

    let mut cache = wasmtime::CacheConfig::new();
    cache.with_directory(cache_dir);
    config.cache(Some(wasmtime::Cache::new(cache)?));

    Engine::new(&config).map_err(anyhow::Error::from)
}

fn build_linker(engine: &Engine) -> anyhow::Result<Linker<RequestState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    key_value::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |state| state)?;
    sqlite::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |state| state)?;
    variables::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |state| state)?;
    Ok(linker)
}

fn load_component(
    engine: &Engine,
    linker: &Linker<RequestState>,
    manifest: &AppManifest,
    variables: &ResolvedVariables,
    id: &str,
) -> anyhow::Result<ComponentRuntime> {
    let declared = &manifest.components[id];
    let source = manifest.component_source(declared);
    if !source.is_file() {
        bail!(
            "its source {} does not exist: run `relance build` (or `relance up --build`) first",
            source.display()
        );
    }

    let component = Component::from_file(engine, &source)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{} is not a valid WebAssembly component", source.display()))?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .context("it imports something this host does not provide")?;
    let pre = ProxyPre::new(instance_pre)
        .map_err(anyhow::Error::from)
        .context("it does not export wasi:http/incoming-handler")?;

    let allowed: Vec<String> = declared
        .allowed_outbound_hosts
        .iter()
        .map(|entry| variables.expand(entry))
        .collect::<anyhow::Result<_>>()?;
    Ok(ComponentRuntime {
        id: Arc::from(id),
        pre,
        key_value_stores: declared.key_value_stores.iter().cloned().collect(),
        sqlite_databases: declared.sqlite_databases.iter().cloned().collect(),
        variables: variables.component_values(id, &declared.variables)?,
        environment: declared.environment.clone(),
        outbound: OutboundPolicy::parse(&allowed)?,
    })
}

/// Adds the `spin-*` headers Spin gives every request.
fn with_spin_headers<B>(
    mut request: Request<B>,
    found: &RouteMatch<'_>,
    origin: &Origin,
    client: SocketAddr,
) -> Request<B> {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let full_url = format!("{}://{}{}", origin.scheme, origin.authority, path_and_query);
    let base = found
        .full_route
        .strip_suffix(found.raw_route)
        .filter(|b| !b.is_empty())
        .unwrap_or("/");

    let mut headers = vec![
        ("spin-full-url".to_string(), full_url),
        ("spin-path-info".to_string(), found.path_info.clone()),
        (
            "spin-matched-route".to_string(),
            found.full_route.to_string(),
        ),
        ("spin-base-path".to_string(), base.to_string()),
        (
            "spin-raw-component-route".to_string(),
            found.raw_route.to_string(),
        ),
        (
            "spin-component-route".to_string(),
            found.component_route.clone(),
        ),
        ("spin-client-addr".to_string(), client.to_string()),
    ];
    for (name, value) in &found.parameters {
        headers.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }

    let map = request.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            map.insert(name, value);
        }
    }
    if !map.contains_key(http::header::HOST)
        && let Ok(host) = HeaderValue::try_from(origin.authority.as_str())
    {
        map.insert(http::header::HOST, host);
    }
    request
}

/// A JSON error in the app's format, for answers the host gives itself.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": { "code": code, "message": message, "details": {} } });
    let body = Full::new(Bytes::from(body.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

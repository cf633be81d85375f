//! Outbound HTTP from components: allowed destinations go out through the
//! default client, `http://<id>.spin.internal` stays in-process, the rest is
//! refused with a log line saying which manifest entry is missing.

use std::future::Future;
use std::sync::Arc;

use http::Response;
use tracing::warn;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::app::{App, ComponentRuntime, Origin};
use crate::outbound::{chained_component, default_port};

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture = Box<dyn Future<Output = Result<(Response<WasiBody>, IoFuture), Error>> + Send>;

/// The `wasi:http` hooks of one instance.
pub struct OutboundHooks {
    app: Arc<App>,
    component: Arc<ComponentRuntime>,
}

impl OutboundHooks {
    pub fn new(app: Arc<App>, component: Arc<ComponentRuntime>) -> Self {
        Self { app, component }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: IoFuture,
    ) -> SendFuture {
        let app = Arc::clone(&self.app);
        let component = Arc::clone(&self.component);
        Box::new(async move {
            let uri = request.uri().clone();
            let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
            let host = uri.host().unwrap_or_default().to_ascii_lowercase();
            let port = uri
                .port_u16()
                .or_else(|| default_port(&scheme).ok())
                .unwrap_or(0);

            if !component.outbound.allows(&scheme, &host, port) {
                warn!(
                    component = %component.id,
                    destination = %format!("{scheme}://{host}:{port}"),
                    "outbound request refused: add the destination to the component's \
                     allowed_outbound_hosts in spin.toml"
                );
                return Err(Error::HttpRequestDenied);
            }

            if let Some(target) = chained_component(&host) {
                let origin = Origin {
                    scheme: "http",
                    authority: host.clone(),
                };
                let response = app
                    .handle_chained(target, request, &origin)
                    .await
                    .ok_or(Error::DestinationNotFound)?;
                let done: IoFuture = Box::new(async { Ok(()) });
                return Ok((response, done));
            }

            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            let response = response.map(http_body_util::BodyExt::boxed_unsync);
            let io: IoFuture = Box::new(io);
            Ok((response, io))
        })
    }
}

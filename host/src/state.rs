//! What one request's instance can reach: its WASI context, its component's
//! grants, and the app's shared stores.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::app::{App, ComponentRuntime};
use crate::outbound_http::OutboundHooks;

/// The data of the wasmtime `Store` behind one request.
pub struct RequestState {
    pub app: Arc<App>,
    pub component: Arc<ComponentRuntime>,
    pub table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    limits: wasmtime::StoreLimits,
}

impl RequestState {
    pub fn new(app: Arc<App>, component: Arc<ComponentRuntime>) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(ComponentOutput {
            component: component.id.clone(),
            to_stderr: false,
        })
        .stderr(ComponentOutput {
            component: component.id.clone(),
            to_stderr: true,
        })
        .envs(&component.environment.iter().collect::<Vec<_>>());
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(app.limits.memory_bytes)
            .instances(app.limits.instances)
            .build();
        Self {
            hooks: OutboundHooks::new(Arc::clone(&app), Arc::clone(&component)),
            app,
            component,
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            limits,
        }
    }

    pub fn limits(&mut self) -> &mut wasmtime::StoreLimits {
        &mut self.limits
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// A component's stdout or stderr, printed line by line after its id.
struct ComponentOutput {
    component: Arc<str>,
    to_stderr: bool,
}

impl IsTerminal for ComponentOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ComponentOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(PrefixedLines {
            component: Arc::clone(&self.component),
            to_stderr: self.to_stderr,
            pending: Vec::new(),
        })
    }
}

struct PrefixedLines {
    component: Arc<str>,
    to_stderr: bool,
    pending: Vec<u8>,
}

impl PrefixedLines {
    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let _ = if self.to_stderr {
            writeln!(std::io::stderr().lock(), "[{}] {text}", self.component)
        } else {
            writeln!(std::io::stdout().lock(), "[{}] {text}", self.component)
        };
    }
}

impl tokio::io::AsyncWrite for PrefixedLines {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line);
        }
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for PrefixedLines {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
    }
}

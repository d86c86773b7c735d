//! Listening: plain HTTP/1.1 or TLS, with graceful shutdown (the listener
//! closes, requests in flight finish, then the store's writer drains).
//! Each connection has a time limit on reading request headers, and each
//! request a time limit as a whole.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::config::ServerConfig;
use crate::state::AppState;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound server, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Server {
    /// Opens the store, reads the configuration's files and binds the
    /// listening address.
    ///
    /// # Errors
    ///
    /// A one-line message naming what cannot be used.
    pub async fn bind(config: &ServerConfig) -> Result<Self, String> {
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::tls::acceptor(cert, key)?),
            None => None,
        };
        let state = AppState::from_config(config).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        Ok(Self {
            listener,
            state,
            tls,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Whether it speaks TLS.
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The shared state (store, trust).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in
    /// flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let app = crate::api::router(self.state.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => accepted,
            };
            let Ok((tcp, _peer)) = accepted else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let app = app.clone();
            let tls = self.tls.clone();
            let mut stopped = stopped.clone();
            connections.spawn(async move {
                let service = TowerToHyperService::new(app);
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT);
                match tls {
                    Some(acceptor) => {
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                        else {
                            return;
                        };
                        let conn = builder.serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(conn);
                        tokio::select! {
                            _ = conn.as_mut() => {}
                            _ = stopped.changed() => {
                                conn.as_mut().graceful_shutdown();
                                let _ = conn.await;
                            }
                        }
                    }
                    None => {
                        let conn = builder.serve_connection(TokioIo::new(tcp), service);
                        tokio::pin!(conn);
                        tokio::select! {
                            _ = conn.as_mut() => {}
                            _ = stopped.changed() => {
                                conn.as_mut().graceful_shutdown();
                                let _ = conn.await;
                            }
                        }
                    }
                }
            });
            // Reap finished connections as we go.
            while connections.try_join_next().is_some() {}
        }
        let _ = stop.send(true);
        while connections.join_next().await.is_some() {}
    }
}

/// Binds and serves `config` until `shutdown` completes.
///
/// # Errors
///
/// A one-line message naming what cannot be used.
pub async fn serve(
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let server = Server::bind(config).await?;
    server.run(shutdown).await;
    Ok(())
}

//! A forward proxy on loopback, as a corporate network puts in front of the runner: it answers
//! `CONNECT host:port` by opening a tunnel to that address (loopback only) and records each one.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FakeProxy {
    address: SocketAddr,
    /// `CONNECT` targets, in the order asked.
    tunnels: Arc<Mutex<Vec<String>>>,
    // Dropping the runtime stops the proxy.
    _runtime: tokio::runtime::Runtime,
}

impl FakeProxy {
    pub fn start() -> FakeProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind(("127.0.0.1", 0)))
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&tunnels);
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(tunnel(client, Arc::clone(&shared)));
            }
        });
        FakeProxy {
            address,
            tunnels,
            _runtime: runtime,
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

async fn tunnel(mut client: TcpStream, tunnels: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = match head.split_whitespace().collect::<Vec<_>>()[..] {
        ["CONNECT", target, ..] => target.to_owned(),
        _ => {
            let _ = client
                .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                .await;
            return;
        }
    };
    tunnels
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(target.clone());
    // Tests never send traffic off this machine, even by mistake.
    let upstream = match target.parse::<SocketAddr>() {
        Ok(address) if address.ip().is_loopback() => TcpStream::connect(address).await.ok(),
        _ => None,
    };
    let Some(mut upstream) = upstream else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

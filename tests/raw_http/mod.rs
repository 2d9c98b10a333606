//! A raw TCP server for the transport and property tests: it counts every
//! connection it accepts (before it does anything with it, so that once a
//! client call has returned, every connection that call made is counted) and
//! treats each the same way: a [`Behaviour`].

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An answer built from the request's bytes (head and body).
pub type Answer = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// What the server does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Reads what the client sends first (a TLS ClientHello), answers bytes
    /// that are no TLS record, then waits for the client to hang up.
    Garbage,
    /// Reads the whole request, then resets the connection (TCP RST).
    ResetAfterRequest,
    /// Reads the whole request and never answers (until the client goes).
    Silent,
    /// Reads the whole request, writes the answer, closes.
    Answer(Answer),
}

/// A running server; it stops when dropped.
pub struct RawServer {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    /// Listens on 127.0.0.1 (a free port).
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepts = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (counted, kept) = (accepts.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(tcp, behaviour.clone(), kept.clone()));
            }
        });
        Self {
            addr,
            accepts,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://127.0.0.1:port`.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Requests read in full so far (head and body).
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut tcp: TcpStream, behaviour: Behaviour, kept: Arc<Mutex<Vec<Vec<u8>>>>) {
    match behaviour {
        Behaviour::Garbage => {
            let mut buf = [0u8; 4096];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
            // Until the client gives up on it: closing first could reset the
            // connection before the client has read the answer.
            while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        Behaviour::ResetAfterRequest => {
            if let Some(request) = read_request(&mut tcp).await {
                kept.lock().unwrap().push(request);
            }
            let _ = tcp.set_zero_linger();
            drop(tcp);
        }
        Behaviour::Silent => {
            if let Some(request) = read_request(&mut tcp).await {
                kept.lock().unwrap().push(request);
            }
            let mut buf = [0u8; 1024];
            while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        Behaviour::Answer(answer) => {
            let Some(request) = read_request(&mut tcp).await else {
                return;
            };
            let bytes = answer(&request);
            kept.lock().unwrap().push(request);
            let _ = tcp.write_all(&bytes).await;
            let _ = tcp.shutdown().await;
            // Drain what the client may still send, so the close is a FIN.
            let mut buf = [0u8; 1024];
            while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
        }
    }
}

/// One HTTP/1.1 request: the head up to the blank line and a body of its
/// `content-length`; `None` if the client hangs up first.
async fn read_request(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buf)
}

/// An HTTP/1.1 answer with `status`, extra header lines and a JSON body.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

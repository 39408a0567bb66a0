//! A connection's idle deadline: closed when no byte has moved either way for too long.
//!
//! hyper's header read timeout starts with a request's first byte, so a client that opens
//! a connection and sends nothing, or sends one request and then keeps the connection open
//! in silence, would hold it (and one of the server's connection slots) forever. Wrapped
//! in [`Idle`], a connection must send its first byte within `first_byte`, and after that
//! must not be silent in both directions for longer than `idle`: a read that would wait past
//! the deadline fails with `TimedOut`, and hyper closes the connection. A long response that
//! keeps writing (the revocation stream's heartbeats) is activity, so it is never cut.
//!
//! The cost per read or write is one clock read; the timer is re-armed only when it fires
//! and finds the connection was active since.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `T` with an idle deadline (see the module documentation).
#[derive(Debug)]
pub struct Idle<T> {
    inner: T,
    timer: Pin<Box<Sleep>>,
    last_activity: Instant,
    /// The allowed silence: `first_byte` until a byte was read, then `idle`.
    allowed: Duration,
    idle: Duration,
}

impl<T> Idle<T> {
    /// Wraps a connection just accepted.
    pub fn new(inner: T, first_byte: Duration, idle: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner,
            timer: Box::pin(tokio::time::sleep_until(now + first_byte)),
            last_activity: now,
            allowed: first_byte,
            idle,
        }
    }

    fn active(&mut self) {
        self.last_activity = Instant::now();
    }

    /// Ready with an error once the connection has been silent past its deadline.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let deadline = self.last_activity + self.allowed;
            if deadline <= Instant::now() {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle past its deadline",
                ));
            }
            self.timer.as_mut().reset(deadline);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Idle<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        if let Poll::Ready(result) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            if buf.filled().len() > before {
                this.active();
                this.allowed = this.idle;
            }
            return Poll::Ready(result);
        }
        this.poll_deadline(cx).map(Err)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Idle<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, buf));
        if matches!(written, Ok(n) if n > 0) {
            this.active();
        }
        Poll::Ready(written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs));
        if matches!(written, Ok(n) if n > 0) {
            this.active();
        }
        Poll::Ready(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const FIRST: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn silence_before_the_first_byte_times_out_at_first_byte() {
        let (server, _client) = tokio::io::duplex(64);
        let mut idle = Idle::new(server, FIRST, IDLE);
        let started = Instant::now();
        let error = idle.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), FIRST);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_byte_the_idle_deadline_applies_and_activity_moves_it() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut idle = Idle::new(server, FIRST, IDLE);
        client.write_all(b"x").await.unwrap();
        assert_eq!(idle.read(&mut [0u8; 8]).await.unwrap(), 1);
        // Writing (a long response) is activity too.
        tokio::time::sleep(IDLE / 2).await;
        idle.write_all(b"heartbeat").await.unwrap();
        let started = Instant::now();
        let error = idle.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), IDLE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_byte_in_time_is_read() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut idle = Idle::new(server, FIRST, IDLE);
        let reader = tokio::spawn(async move {
            let mut byte = [0u8; 1];
            idle.read_exact(&mut byte).await.map(|_| byte)
        });
        tokio::time::sleep(FIRST - Duration::from_millis(1)).await;
        client.write_all(b"y").await.unwrap();
        assert_eq!(reader.await.unwrap().unwrap(), *b"y");
    }
}

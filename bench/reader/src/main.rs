//! The ceiling for netcount's end-to-end benchmark: the least work that can
//! receive an HTTP body on smol. It sends a GET, then reads the socket into
//! a 256 KiB buffer until the server closes, parsing nothing and counting
//! nothing. netcount does everything this does, plus HTTP parsing, framing
//! checks and counting, so its time over this one's is the price of those.
//!
//! Run with: `reader 127.0.0.1:8080 /path` (prints the bytes received)

use smol::io::{AsyncReadExt, AsyncWriteExt};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("usage: reader HOST:PORT PATH");
    let path = args.next().unwrap_or_else(|| "/".into());
    smol::block_on(async {
        let mut stream = smol::net::TcpStream::connect(addr.as_str()).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        println!("{total}");
        Ok(())
    })
}

//! Unit tests: every coding against its encoder, under every read split;
//! every way a stream can be wrong.

use std::io::Write;

use futures_lite::AsyncReadExt;

use std::io;

use flate2::Crc;

use super::deflate::is_zlib_header;
use super::gzip::{FCOMMENT, FEXTRA, FHCRC, FNAME};
use super::*;
use crate::http::Replay;

/// Text with some variety (so deflate emits literals, matches and
/// several blocks), deterministic.
fn text(len: usize) -> Vec<u8> {
    let words: [&[u8]; 8] = [
        b"<p>", b".NET ", b"async ", b"</p>\n", b"stream ", b"count ", b"42 ", b"rust ",
    ];
    let mut out = Vec::with_capacity(len + 8);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(words[(state % 8) as usize]);
        if state % 5 == 0 {
            out.push(b'a' + (state >> 8) as u8 % 26);
        }
    }
    out.truncate(len);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 18,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

/// Decodes `body` under `header`, the body arriving in reads of
/// `read_sizes` and the content read `out_size` bytes at a time. Returns
/// the content and the counters, or the error.
fn decode(
    header: &str,
    body: &[u8],
    read_sizes: &[usize],
    out_size: usize,
) -> Result<(Vec<u8>, u64, u64), io::Error> {
    let decoder = ContentDecoder::from_header_values([header]).unwrap();
    let mut decoded = decoder.decode(Replay::new(body).with_read_sizes(read_sizes));
    let mut content = Vec::new();
    let mut buf = vec![0; out_size];
    futures_lite::future::block_on(async {
        loop {
            let n = decoded.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            content.extend_from_slice(&buf[..n]);
        }
        Ok((content, decoded.bytes_in(), decoded.bytes_out()))
    })
}

fn decode_error(header: &str, body: &[u8], read_sizes: &[usize]) -> DecodeError {
    let error = decode(header, body, read_sizes, 4096).expect_err("an error");
    let kind = error.kind();
    let error = error.downcast::<DecodeError>().expect("a decode error");
    let expected = match error.kind() {
        DecodeErrorKind::Truncated => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    };
    assert_eq!(kind, expected);
    error
}

/// Read splits from one byte at a time to everything at once.
const SPLITS: [&[usize]; 5] = [&[1], &[1, 2, 3, 5, 8, 13], &[4096], &[100_000, 7], &[]];

#[test]
fn header_values_form_one_list() {
    let parse = |values: &[&str]| ContentDecoder::from_header_values(values);
    assert!(parse(&[]).unwrap().is_identity());
    assert!(parse(&["", " , ", "identity", "IDENTITY"])
        .unwrap()
        .is_identity());
    assert_eq!(
        parse(&["GZip", "x-gzip, Deflate"]).unwrap().codings(),
        [Coding::Gzip, Coding::Gzip, Coding::Deflate]
    );
    assert_eq!(
        parse(&["\tbr\t,identity"]).unwrap().codings(),
        [Coding::Brotli]
    );
}

#[test]
fn unknown_codings_and_long_lists_are_unsupported() {
    for value in [
        "zstd",
        "gzip, compress",
        "gzip;q=1",
        "x-compress",
        "gzip br",
    ] {
        let error = ContentDecoder::from_header_values([value]).unwrap_err();
        assert_eq!(error.kind(), DecodeErrorKind::Unsupported, "{value}");
        assert!(error
            .to_string()
            .starts_with("unsupported content encoding"));
    }
    let error = ContentDecoder::from_header_values(["br, br", "gzip, deflate"]).unwrap_err();
    assert_eq!(error.kind(), DecodeErrorKind::Unsupported);
    assert_eq!(
        error.to_string(),
        "too many stacked content encodings (4, at most 3)"
    );
    assert!(ContentDecoder::from_header_values(["br, gzip", "deflate"]).is_ok());
}

#[test]
fn every_coding_round_trips_across_read_splits() {
    for len in [0, 1, 100, 70_000] {
        let content = text(len);
        let cases = [
            ("gzip", gzip(&content)),
            ("x-gzip", gzip(&content)),
            ("deflate", zlib(&content)),
            ("deflate", raw_deflate(&content)),
            ("br", brotli(&content)),
        ];
        for (header, body) in &cases {
            for reads in SPLITS {
                for out_size in [1, 7, 4096, 1 << 20] {
                    if out_size < 4096 && reads.len() == 1 && reads[0] == 1 && len > 100 {
                        continue; // byte-by-byte both ways: covered on 100 bytes
                    }
                    let (decoded, bytes_in, bytes_out) =
                        decode(header, body, reads, out_size).unwrap();
                    assert!(
                        decoded == content,
                        "{header}, {len} bytes, reads {reads:?}, out {out_size}"
                    );
                    assert_eq!(bytes_in, body.len() as u64);
                    assert_eq!(bytes_out, len as u64);
                }
            }
        }
    }
}

#[test]
fn identity_passes_through() {
    let (content, bytes_in, bytes_out) = decode("identity", b"plain", &[2], 3).unwrap();
    assert_eq!(
        (content.as_slice(), bytes_in, bytes_out),
        (&b"plain"[..], 5, 5)
    );
}

#[test]
fn an_empty_body_is_empty_content() {
    for header in ["gzip", "deflate", "br", "gzip, br"] {
        assert_eq!(decode(header, b"", &[], 10).unwrap(), (Vec::new(), 0, 0));
    }
}

#[test]
fn stacked_codings_are_undone_in_reverse() {
    let content = text(50_000);
    let body = brotli(&gzip(&content)); // gzip applied first, then br
    for reads in SPLITS {
        let (decoded, bytes_in, _) = decode("gzip, br", &body, reads, 999).unwrap();
        assert!(decoded == content);
        assert_eq!(bytes_in, body.len() as u64);
    }
    // The other order reads br output as gzip: corrupt, not a count.
    let error = decode_error("br, gzip", &body, &[]);
    assert_eq!(error.kind(), DecodeErrorKind::Corrupt);
    // Three stacked.
    let body = gzip(&zlib(&brotli(&content)));
    let (decoded, _, _) = decode("br, deflate, gzip", &body, &[333], 4096).unwrap();
    assert!(decoded == content);
}

#[test]
fn every_prefix_of_a_stream_is_truncated() {
    let content = text(3000);
    let cases = [
        ("gzip", gzip(&content)),
        ("deflate", zlib(&content)),
        ("deflate", raw_deflate(&content)),
        ("br", brotli(&content)),
        ("deflate, br", brotli(&zlib(&content))),
    ];
    for (header, body) in &cases {
        for cut in 1..body.len() {
            for reads in [&[][..], &[1]] {
                let error = decode_error(header, &body[..cut], reads);
                assert_eq!(
                    error.kind(),
                    DecodeErrorKind::Truncated,
                    "{header} cut at {cut} of {}: {error}",
                    body.len()
                );
            }
        }
    }
    let error = decode_error("gzip", &gzip(b"x")[..5], &[]);
    assert_eq!(error.coding(), Some(Coding::Gzip));
    assert_eq!(
        error.to_string(),
        "truncated gzip stream: the body ended before the end of the compressed data"
    );
}

#[test]
fn bytes_after_the_end_are_trailing_data() {
    let content = text(3000);
    let cases = [
        ("gzip", gzip(&content)),
        ("deflate", zlib(&content)),
        ("deflate", raw_deflate(&content)),
        ("br", brotli(&content)),
    ];
    for (header, body) in &cases {
        for garbage in [&b"x"[..], b"\0", b"\r\n", &[0x1f, 0x00]] {
            let mut with_garbage = body.clone();
            with_garbage.extend_from_slice(garbage);
            for reads in SPLITS {
                let error = decode_error(header, &with_garbage, reads);
                assert_eq!(
                    error.kind(),
                    DecodeErrorKind::TrailingData,
                    "{header} {reads:?}"
                );
            }
        }
    }
    let error = decode_error("br", &[brotli(b"abc"), b"!".to_vec()].concat(), &[]);
    assert_eq!(
        error.to_string(),
        "trailing data after the end of the br stream"
    );
}

#[test]
fn gzip_members_are_concatenated() {
    let (first, second) = (text(20_000), b"second member".to_vec());
    let body = [gzip(&first), gzip(&second), gzip(b"")].concat();
    for reads in SPLITS {
        let (decoded, _, bytes_out) = decode("gzip", &body, reads, 4096).unwrap();
        assert!(decoded == [first.clone(), second.clone()].concat());
        assert_eq!(bytes_out, 20_013);
    }
    // A member's start, then nothing: truncated.
    let error = decode_error("gzip", &[gzip(b"a"), vec![0x1f]].concat(), &[]);
    assert_eq!(error.kind(), DecodeErrorKind::Truncated);
}

/// A gzip member with every optional header field, the header CRC
/// right or wrong.
fn gzip_with_all_fields(content: &[u8], header_crc_ok: bool) -> Vec<u8> {
    let mut member = vec![0x1f, 0x8b, 8, FHCRC | FEXTRA | FNAME | FCOMMENT];
    member.extend_from_slice(&[1, 2, 3, 4, 0, 255]); // mtime, xfl, os
    member.extend_from_slice(&[5, 0]); // extra length
    member.extend_from_slice(&[0, 0, 0, 0, 0]); // extra, zeros included
    member.extend_from_slice(b"name.html\0comment\0");
    let mut crc = Crc::new();
    crc.update(&member);
    let header_crc = (crc.sum() as u16) ^ u16::from(!header_crc_ok);
    member.extend_from_slice(&header_crc.to_le_bytes());
    member.extend_from_slice(&raw_deflate(content));
    let mut crc = Crc::new();
    crc.update(content);
    member.extend_from_slice(&crc.sum().to_le_bytes());
    member.extend_from_slice(&crc.amount().to_le_bytes());
    member
}

#[test]
fn gzip_optional_header_fields_are_skipped_and_checked() {
    let content = text(5000);
    let body = gzip_with_all_fields(&content, true);
    for reads in SPLITS {
        let (decoded, _, _) = decode("gzip", &body, reads, 4096).unwrap();
        assert!(decoded == content);
    }
    let error = decode_error("gzip", &gzip_with_all_fields(&content, false), &[1]);
    assert_eq!(
        error.to_string(),
        "corrupt gzip stream: header crc mismatch"
    );
}

#[test]
fn corrupt_gzip_is_refused_with_the_reason() {
    let body = gzip(&text(5000));
    let corrupt = |at: usize, value: u8| {
        let mut body = body.clone();
        body[at] = value;
        decode_error("gzip", &body, &[]).to_string()
    };
    let crc_at = body.len() - 8;
    let size_at = body.len() - 4;
    assert_eq!(
        corrupt(0, 0x1e),
        "corrupt gzip stream: not a gzip stream (bad magic bytes)"
    );
    assert_eq!(
        corrupt(1, 0),
        "corrupt gzip stream: not a gzip stream (bad magic bytes)"
    );
    assert_eq!(
        corrupt(2, 7),
        "corrupt gzip stream: unknown compression method"
    );
    assert_eq!(
        corrupt(3, 0x20),
        "corrupt gzip stream: reserved header flags set"
    );
    assert_eq!(
        corrupt(crc_at, body[crc_at] ^ 1),
        "corrupt gzip stream: crc-32 mismatch"
    );
    assert_eq!(
        corrupt(size_at, body[size_at] ^ 1),
        "corrupt gzip stream: length mismatch"
    );
    // The second byte of the deflate data: a reserved block type or a
    // bad Huffman table, or output that fails the CRC; never success.
    for at in 10..body.len() - 8 {
        let mut broken = body.clone();
        broken[at] ^= 0x55;
        let result = decode("gzip", &broken, &[], 4096);
        let error = result.expect_err("a flipped byte must not decode");
        let error = error.downcast::<DecodeError>().unwrap();
        assert!(
            matches!(
                error.kind(),
                DecodeErrorKind::Corrupt
                    | DecodeErrorKind::Truncated
                    | DecodeErrorKind::TrailingData
            ),
            "{at}: {error}"
        );
    }
}

#[test]
fn zlib_and_raw_deflate_are_told_apart() {
    // Common zlib headers (levels fast, default, best; no window bits
    // other than 32 KiB) and what raw deflate streams start with.
    assert!(is_zlib_header(0x78, 0x01));
    assert!(is_zlib_header(0x78, 0x9c));
    assert!(is_zlib_header(0x78, 0xda));
    assert!(is_zlib_header(0x58, 0x85)); // a 16 KiB window
    assert!(!is_zlib_header(0x78, 0x9d)); // check bits wrong
    assert!(!is_zlib_header(0x88, 0x1d)); // window too large
    for content in [&b""[..], b"a", &text(1000)] {
        let raw = raw_deflate(content);
        assert!(!is_zlib_header(raw[0], raw[1]));
        let zlib = zlib(content);
        assert!(is_zlib_header(zlib[0], zlib[1]));
    }
}

#[test]
fn corrupt_zlib_is_refused() {
    let body = zlib(&text(5000));
    let mut bad_adler = body.clone();
    *bad_adler.last_mut().unwrap() ^= 1;
    let error = decode_error("deflate", &bad_adler, &[]);
    assert_eq!(
        error.to_string(),
        "corrupt deflate stream: invalid deflate data"
    );
    // A preset dictionary (FDICT) is not something HTTP can supply.
    let error = decode_error("deflate", &[0x78, 0x20, 0, 0, 0, 1, 3, 0], &[]);
    assert_eq!(
        error.to_string(),
        "corrupt deflate stream: the zlib stream needs a preset dictionary"
    );
    // Neither zlib nor valid raw deflate (block type 3 is reserved).
    let error = decode_error("deflate", &[0xff, 0xff, 0xff], &[]);
    assert_eq!(error.kind(), DecodeErrorKind::Corrupt);
}

#[test]
fn corrupt_brotli_is_refused() {
    let body = brotli(&text(5000));
    let mut broken = body.clone();
    broken[body.len() / 2] ^= 0xff;
    let error = decode("br", &broken, &[], 4096).unwrap_err();
    let error = error.downcast::<DecodeError>().unwrap();
    assert_ne!(error.kind(), DecodeErrorKind::Unsupported);
    let error = decode_error("br", b"not brotli at all, not at all", &[]);
    assert_eq!(error.to_string(), "corrupt br stream: invalid brotli data");
}

#[test]
fn large_window_brotli_is_refused() {
    // A window past RFC 7932's 16 MiB would let the stream choose how
    // much memory we allocate.
    let mut body = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 25,
        large_window: true,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &text(1000)[..], &mut body, &params).unwrap();
    let error = decode_error("br", &body, &[]);
    assert_eq!(error.kind(), DecodeErrorKind::Corrupt);
}

#[test]
fn errors_repeat_on_later_reads() {
    let decoder = ContentDecoder::from_header_values(["gzip"]).unwrap();
    let mut decoded = decoder.decode(Replay::new(&b"not gzip"[..]));
    let mut buf = [0; 64];
    futures_lite::future::block_on(async {
        for _ in 0..3 {
            let error = decoded.read(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        }
    });
}

#[test]
fn memory_is_fixed_when_the_reader_is_made() {
    // 4 MiB from a few kilobytes, read one byte and one megabyte at a time:
    // the stages' buffers are the size they were made with.
    let content = vec![b'a'; 4 << 20];
    let body = gzip(&content);
    assert!(body.len() < 8 << 10);
    let mut decoded = ContentDecoder::from_header_values(["gzip"])
        .unwrap()
        .decode(Replay::new(body));
    let mut big = vec![0; 1 << 20];
    futures_lite::future::block_on(async {
        assert_eq!(decoded.read(&mut [0]).await.unwrap(), 1);
        while decoded.read(&mut big).await.unwrap() > 0 {}
    });
    assert_eq!(decoded.bytes_out(), 4 << 20);
    assert!(decoded
        .stages
        .iter()
        .all(|stage| stage.buf.len() == INPUT_BUFFER_SIZE));
}

//! Just enough DER to read an RSA private key's components out of the PKCS#8 document that
//! `aws-lc-rs` generates, so a generated key can be written as a JWK (RFC 7518 section 6.3.2).
//!
//! Written by hand because it is small and closed: one fixed structure, read-only, and only
//! ever applied to our own freshly generated keys.

/// The integers of an RSAPrivateKey (RFC 8017 appendix A.1.2), big-endian, no leading zeros.
pub(crate) struct RsaPrivateComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qi: Vec<u8>,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;

/// Reads `PrivateKeyInfo { version, algorithm, privateKey OCTET STRING(RSAPrivateKey) }`.
pub(crate) fn rsa_components_from_pkcs8(pkcs8: &[u8]) -> Option<RsaPrivateComponents> {
    let (info, rest) = element(pkcs8, SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (_version, info) = element(info, INTEGER)?;
    let (_algorithm, info) = element(info, SEQUENCE)?;
    let (private_key, _attributes) = element(info, OCTET_STRING)?;
    let (mut fields, rest) = element(private_key, SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let mut next = || {
        let (value, tail) = element(fields, INTEGER)?;
        fields = tail;
        Some(strip_leading_zeros(value).to_vec())
    };
    let _version = next()?;
    Some(RsaPrivateComponents {
        n: next()?,
        e: next()?,
        d: next()?,
        p: next()?,
        q: next()?,
        dp: next()?,
        dq: next()?,
        qi: next()?,
    })
}

/// Splits one element of the given tag off the front of `input`: (contents, rest).
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, input) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len_byte, mut input) = input.split_first()?;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else {
        let count = usize::from(len_byte & 0x7f);
        if count == 0 || count > 4 || input.len() < count {
            return None;
        }
        let (len_bytes, tail) = input.split_at(count);
        input = tail;
        len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    (input.len() >= len).then(|| input.split_at(len))
}

fn strip_leading_zeros(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    &value[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        assert_eq!(
            element(&[0x02, 0x01, 0x05, 0xff], INTEGER),
            Some((&[5u8][..], &[0xffu8][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(
            element(&long, OCTET_STRING).map(|(v, r)| (v.len(), r.len())),
            Some((0x80, 0))
        );
    }

    #[test]
    fn rejects_truncated_input() {
        assert_eq!(element(&[0x02, 0x05, 0x01], INTEGER), None);
        assert_eq!(element(&[0x02], INTEGER), None);
        assert_eq!(element(&[0x30, 0x00], INTEGER), None);
    }
}

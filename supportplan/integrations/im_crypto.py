"""Each platform's inbound message security, as the vendor documents it. Pure functions.

- WeCom (企业微信 intelligent robot / app callback): `msg_signature` = SHA-1 of the sorted
  token, timestamp, nonce and ciphertext; the message is AES-256-CBC with the key
  base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7 padding to 32 bytes;
  plaintext = 16 random bytes, 4-byte big-endian length, message, receive id.
- Feishu (event subscription): `X-Lark-Signature` = SHA-256 of timestamp + nonce + encrypt
  key + body; `encrypt` is AES-256-CBC with key SHA-256(encrypt key), IV the first 16 bytes
  of the decoded ciphertext, PKCS#7; the event's `header.token` is the verification token.
- DingTalk (enterprise robot): headers `timestamp` (ms) and `sign` =
  base64(HMAC-SHA256(app secret, timestamp + "\n" + app secret)).
- WeLink (callback, open.welink.huaweicloud.com .../serverapi/isv/app_callback.html and the
  official Python SDK's welink/api/callback/CallBackV1.py): the body is {"encrypt": E},
  E = base64(16-byte IV) (24 characters) + base64(AES-GCM ciphertext + 16-byte tag); the key
  is the first 16 bytes of SHA-1(SHA-1(app secret)). There is no separate signature: the GCM
  tag, made with the app secret, is what proves the sender. The plaintext carries
  `eventType` and `timestamp` (seconds); the answer is {"msg": "success", "timestamp": T}
  encrypted the same way.
- WeCom intelligent robot files (developer.work.weixin.qq.com/document/path/100719, 结构体说明
  图片 / 文件): the file behind `url` (valid 5 minutes) is AES-256-CBC encrypted with the same
  AESKey as the callback (base64(EncodingAESKey + "=")), IV = its first 16 bytes, PKCS#7
  padding to a multiple of 32. In the long-connection mode (document/path/101463, 多媒体资源解密)
  the struct carries its own `aeskey` instead, base64, used the same way.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Refused(Exception):
    """Unsigned, wrongly signed, or undecryptable: nothing is read from it."""


def _cbc_decrypt(key: bytes, iv: bytes, data: bytes, block: int) -> bytes:
    try:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(block * 8).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise Refused("the message cannot be decrypted with this group's key") from None


def _cbc_encrypt(key: bytes, iv: bytes, data: bytes, block: int) -> bytes:
    padder = padding.PKCS7(block * 8).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


# --------------------------------------------------------------------------- WeCom


def wecom_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def _wecom_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=")
    except ValueError:
        raise Refused("the group's EncodingAESKey is not valid") from None
    if len(key) != 32:
        raise Refused("the group's EncodingAESKey is not 43 characters")
    return key


def wecom_decrypt(
    *, token: str, encoding_aes_key: str, receive_id: str, signature: str, timestamp: str,
    nonce: str, encrypted: str,
) -> str:  # fmt: skip
    if not hmac.compare_digest(wecom_signature(token, timestamp, nonce, encrypted), signature):
        raise Refused("msg_signature does not match")
    key = _wecom_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted)
    except ValueError:
        raise Refused("the message is not base64") from None
    plain = _cbc_decrypt(key, key[:16], data, 32)
    if len(plain) < 20:
        raise Refused("the message is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, rid = plain[20 : 20 + length], plain[20 + length :]
    if receive_id and rid.decode(errors="replace") != receive_id:
        raise Refused("the message is for another receiver")
    return message.decode()


def wecom_encrypt(*, encoding_aes_key: str, receive_id: str, message: str) -> str:
    """What WeCom's servers send (used by tests and for encrypted passive answers)."""
    key = _wecom_key(encoding_aes_key)
    body = message.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + receive_id.encode()
    return base64.b64encode(_cbc_encrypt(key, key[:16], plain, 32)).decode()


def _wecom_file_key(encoding_aes_key: str, aeskey: str) -> bytes:
    if not aeskey:
        return _wecom_key(encoding_aes_key)
    try:  # the long-connection aeskey may come without its base64 padding
        key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
    except ValueError:
        raise Refused("the file's aeskey is not valid") from None
    if len(key) != 32:
        raise Refused("the file's aeskey is not 32 bytes")
    return key


def wecom_file_decrypt(encrypted: bytes, *, encoding_aes_key: str, aeskey: str = "") -> bytes:
    """A file fetched from an intelligent robot message's url, decrypted."""
    key = _wecom_file_key(encoding_aes_key, aeskey)
    if not encrypted or len(encrypted) % 16:
        raise Refused("the file is not AES-encrypted")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(encrypted) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise Refused("the file cannot be decrypted with this group's key")
    return plain[:-pad]


def wecom_file_encrypt(data: bytes, *, encoding_aes_key: str, aeskey: str = "") -> bytes:
    """What WeCom stores behind the url (tests)."""
    key = _wecom_file_key(encoding_aes_key, aeskey)
    return _cbc_encrypt(key, key[:16], data, 32)


# --------------------------------------------------------------------------- Feishu


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def feishu_decrypt(encrypt_key: str, encrypted: str) -> str:
    key = hashlib.sha256(encrypt_key.encode()).digest()
    try:
        data = base64.b64decode(encrypted)
    except ValueError:
        raise Refused("the event is not base64") from None
    if len(data) < 32:
        raise Refused("the event is too short")
    return _cbc_decrypt(key, data[:16], data[16:], 16).decode()


def feishu_encrypt(encrypt_key: str, message: str) -> str:
    key = hashlib.sha256(encrypt_key.encode()).digest()
    iv = os.urandom(16)
    return base64.b64encode(iv + _cbc_encrypt(key, iv, message.encode(), 16)).decode()


# --------------------------------------------------------------------------- DingTalk


def dingtalk_sign(app_secret: str, timestamp: str) -> str:
    digest = hmac.new(app_secret.encode(), f"{timestamp}\n{app_secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


# --------------------------------------------------------------------------- WeLink

WELINK_IV_B64 = 24  # base64 of the 16-byte IV


def _welink_key(app_secret: str) -> bytes:
    return hashlib.sha1(hashlib.sha1(app_secret.encode()).digest()).digest()[:16]


def welink_encrypt(app_secret: str, message: str, *, iv: bytes | None = None) -> str:
    """What WeLink's servers send (tests) and what the callback answers."""
    nonce = iv if iv is not None else os.urandom(16)
    sealed = AESGCM(_welink_key(app_secret)).encrypt(nonce, message.encode(), None)
    return base64.b64encode(nonce).decode() + base64.b64encode(sealed).decode()


def welink_decrypt(app_secret: str, encrypted: str) -> str:
    if not isinstance(encrypted, str) or len(encrypted) <= WELINK_IV_B64:
        raise Refused("the callback is not encrypted (encrypt)")
    try:
        nonce = base64.b64decode(encrypted[:WELINK_IV_B64], validate=True)
        sealed = base64.b64decode(encrypted[WELINK_IV_B64:], validate=True)
    except ValueError:
        raise Refused("the callback is not base64") from None
    if len(nonce) != 16 or len(sealed) <= 16:
        raise Refused("the callback is too short")
    aes = AESGCM(_welink_key(app_secret))
    candidates = [sealed]
    # The page's own example carries the ciphertext hex-encoded inside the base64 (as its Java
    # sample does); the SDK sends raw bytes. The tag decides which one it is.
    with contextlib.suppress(ValueError):
        candidates.append(bytes.fromhex(sealed.decode("ascii")))
    for candidate in candidates:
        try:
            return aes.decrypt(nonce, candidate, None).decode()
        except (InvalidTag, ValueError, UnicodeDecodeError):
            continue
    raise Refused("the callback was not encrypted with this group's app secret")

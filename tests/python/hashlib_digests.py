"""hashlib and hmac: digests of fixed inputs, incremental updates, and a small PBKDF2."""

import hashlib
import hmac

inputs = [b"", b"x", b"hello world\n", bytes(range(256)) * 64]

for name in ["md5", "sha1", "sha256", "sha512", "sha3_256", "blake2b", "blake2s"]:
    for data in inputs:
        print(name, len(data), hashlib.new(name, data).hexdigest())

incremental = hashlib.sha256()
for chunk in range(0, 16384, 1000):
    incremental.update(inputs[3][chunk : chunk + 1000])
print("incremental matches:", incremental.hexdigest() == hashlib.sha256(inputs[3]).hexdigest())

print("hmac-sha256:", hmac.new(b"key", b"message", "sha256").hexdigest())
print("pbkdf2:", hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())
print("shake_128:", hashlib.shake_128(b"meridian").hexdigest(16))

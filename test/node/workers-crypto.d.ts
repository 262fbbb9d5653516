// workerd's addition to Web Crypto, for Node-side code that imports the Worker's
// src/stripe/signature.ts through the event kit (Node only ever calls its signer).
interface SubtleCrypto {
	timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}

// The ProxyConfig schema and its pure compiler (see the data plane issue).
export {};

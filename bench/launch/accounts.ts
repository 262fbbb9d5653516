// What a login and a set-password cost in workerd CPU: both run PBKDF2-SHA256
// at 100,000 iterations (src/onboarding/accounts.ts). Launch customers set
// their password from the link in their welcome email, then log in, one at a time.
import http from "node:http";
import { clientIp } from "../common/addresses.ts";
import type { DevServer } from "../common/dev-servers.ts";
import { httpRequest } from "../common/http.ts";
import { BenchError, progress } from "../common/knobs.ts";
import { sampleCpu } from "../common/procs.ts";
import type { StandIns } from "../common/stand-ins.ts";
import { median } from "../common/stats.ts";
import type { Journey } from "./customers.ts";

export interface AccountCost {
	requests: number;
	workerdCpuMsPerRequest: number;
	latencyMedianMs: number;
}

const PASSWORD = "Launch-day: 42 apples, 7 pears";
const WARM_UP = 3;

/** Sequential requests with workerd CPU sampled around them; every answer must be 200. */
async function measure(server: DevServer, what: string, requests: { path: string; body: object }[], firstIp: number) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const send = async (i: number) => {
		const r = requests[i] as { path: string; body: object };
		// Each from a /64 of its own: the worker limits these routes per address.
		const res = await httpRequest(
			server.origin,
			{
				method: "POST",
				path: r.path,
				headers: { "content-type": "application/json", "cf-connecting-ip": clientIp(firstIp + i) },
				body: JSON.stringify(r.body),
			},
			agent,
			15_000,
		);
		if (res.status !== 200) throw new BenchError(`${what} #${i}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
		return res.ms;
	};
	try {
		for (let i = 0; i < WARM_UP; i++) await send(i);
		const before = sampleCpu(server.pid);
		const latencies: number[] = [];
		for (let i = WARM_UP; i < requests.length; i++) latencies.push(await send(i));
		const after = sampleCpu(server.pid);
		const n = requests.length - WARM_UP;
		return {
			requests: n,
			workerdCpuMsPerRequest: (after.workerdMs - before.workerdMs) / n,
			latencyMedianMs: median(latencies),
		};
	} finally {
		agent.destroy();
	}
}

/** `count` completed customers set their password from their welcome email's link, then log in with it. */
export async function measureAccounts(
	server: DevServer,
	standIns: StandIns,
	mailKey: string,
	journeys: Journey[],
	count: number,
): Promise<{ setPassword: AccountCost; login: AccountCost }> {
	const emails = await standIns.acceptedEmails(mailKey);
	const linkFor = new Map<string, string>();
	for (const e of emails) {
		const token = /\/set-password\?token=([A-Za-z0-9_-]+)/.exec(e.text)?.[1];
		if (token && e.to[0]) linkFor.set(e.to[0], token);
	}
	const picked = journeys.filter((j) => j.outcome === "completed" && linkFor.has(j.email)).slice(0, count + WARM_UP);
	if (picked.length < count + WARM_UP) {
		throw new BenchError(`only ${picked.length} completed customers with a welcome link; need ${count + WARM_UP}`);
	}
	progress(`accounts: ${count} set-passwords, then ${count} logins, one at a time (PBKDF2-SHA256, 100,000 iterations)`);
	const setPassword = await measure(
		server,
		"POST /api/portal/password",
		picked.map((j) => ({ path: "/api/portal/password", body: { token: linkFor.get(j.email), password: PASSWORD } })),
		100_000,
	);
	const login = await measure(
		server,
		"POST /api/portal/login",
		picked.map((j) => ({ path: "/api/portal/login", body: { email: j.email, password: PASSWORD } })),
		200_000,
	);
	return { setPassword, login };
}

// Baseline for `npm run bench`: the smallest possible Worker, built and served
// the same way as the real one, so the bench can subtract the platform's cost.
export default {
	fetch() {
		return new Response("ok");
	},
};

// Loading a view's data: every request of a view in parallel, the previous ones cancelled when the
// route changes, and one state the view renders from. The data is asked for again every 30 s
// while the page is visible, so that a dashboard left open follows the audits.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

export const REFRESH_MS = 30000;

// `requests` maps a name to [path, params]; the answer maps the same names to the JSON bodies.
export function useApi(requests) {
  const key = JSON.stringify(requests);
  const [state, setState] = useState({ loading: true, data: null, error: null, key });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setRound((r) => r + 1);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    // A refresh of what is shown goes unnoticed until its answer arrives, and a failed one leaves
    // the page as it was (the next round tries again); new parameters show as loading.
    let refreshing = false;
    setState((previous) => {
      refreshing = previous.key === key && previous.data !== null && !previous.loading;
      return refreshing ? previous : { loading: true, data: previous.data, error: null, key };
    });
    const names = Object.keys(requests);
    Promise.all(names.map((name) => getJson(requests[name][0], requests[name][1], controller.signal)))
      .then((bodies) => {
        const data = {};
        names.forEach((name, i) => (data[name] = bodies[i]));
        setState({ loading: false, data, error: null, key });
      })
      .catch((error) => {
        if (error.name === 'AbortError' || refreshing) return;
        setState({ loading: false, data: null, error, key });
      });
    return () => controller.abort();
  }, [key, round]);
  // Data of earlier parameters stays on screen while the new answer loads (no flicker), but a
  // view is "ready" only with the answer to its current parameters.
  return { ...state, loading: state.loading || state.key !== key };
}

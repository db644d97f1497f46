// Loading a view's data: every request of a view in parallel, the previous ones cancelled when the
// route changes, and one state the view renders from.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

// `requests` maps a name to [path, params]; the answer maps the same names to the JSON bodies.
export function useApi(requests) {
  const key = JSON.stringify(requests);
  const [state, setState] = useState({ loading: true, data: null, error: null, key });
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ loading: true, data: previous.data, error: null, key }));
    const names = Object.keys(requests);
    Promise.all(names.map((name) => getJson(requests[name][0], requests[name][1], controller.signal)))
      .then((bodies) => {
        const data = {};
        names.forEach((name, i) => (data[name] = bodies[i]));
        setState({ loading: false, data, error: null, key });
      })
      .catch((error) => {
        if (error.name === 'AbortError') return;
        setState({ loading: false, data: null, error, key });
      });
    return () => controller.abort();
  }, [key]);
  // Data of earlier parameters stays on screen while the new answer loads (no flicker), but a
  // view is "ready" only with the answer to its current parameters.
  return { ...state, loading: state.loading || state.key !== key };
}

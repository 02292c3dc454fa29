// The page of tests/test_browser_inbox.py: Novu's <Inbox /> (@novu/react) pointed at the mock by
// backendUrl and socketUrl alone, as the docs' snippet does. The configuration comes from the
// page's query string: ?applicationIdentifier=...&subscriber=...&mock=http://127.0.0.1:4010
import { createRoot } from 'react-dom/client';
import { Inbox } from '@novu/react';

const query = new URLSearchParams(window.location.search);
const applicationIdentifier = query.get('applicationIdentifier');
const subscriber = query.get('subscriber');
const mock = query.get('mock');

function App() {
  return (
    <>
      {/* the default bell: a dot when something is unread */}
      <div id="inbox">
        <Inbox applicationIdentifier={applicationIdentifier} subscriber={subscriber} backendUrl={mock} socketUrl={mock} />
      </div>
      {/* the same inbox with a bell that prints the unread count */}
      <div id="counter">
        <Inbox
          applicationIdentifier={applicationIdentifier}
          subscriber={subscriber}
          backendUrl={mock}
          socketUrl={mock}
          renderBell={(unread) => <span data-testid="unread-count">{unread.total}</span>}
        />
      </div>
    </>
  );
}

createRoot(document.getElementById('root')).render(<App />);

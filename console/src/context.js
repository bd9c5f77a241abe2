// What every page may read: the signed-in user, teams and runners, the UI language.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export const App = createContext(null);
export const useApp = () => useContext(App);

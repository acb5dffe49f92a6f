import java.io.File;
import java.lang.reflect.Field;

import com.thoughtworks.xstream.XStream;
import com.thoughtworks.xstream.security.AnyTypePermission;
import org.apache.jmeter.NewDriver;
import org.apache.jmeter.save.SaveService;
import org.apache.jmeter.util.JMeterUtils;

/**
 * Starts Debian's packaged JMeter 2.13 so that it can load plans again.
 *
 * Debian builds JMeter 2.13 against its own XStream (1.4.20), whose security
 * framework allows only a short list of types by default; JMeter 2.13 predates
 * that framework and never declares its classes, so every plan fails with
 * ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper. Upstream
 * JMeter added the permissions itself later (JMeter 5.x, bug 64116).
 *
 * Fix: initialise SaveService exactly as JMeter does (its static initialiser
 * reads saveservice.properties through JMeterUtils, so jmeter.properties must
 * be loaded first), then open its two private static XStream instances
 * (JMXSAVER for plans, JTLSAVER for XML results) to any type, and hand over to
 * JMeter's normal entry point. Both classes are on this launcher's class path;
 * NewDriver's own class loader delegates to it first, so JMeter uses the very
 * SaveService class patched here.
 *
 * Usage: java -Djmeter.home=/usr/share/jmeter -cp <jars> RingpoolJMeter [jmeter args]
 */
public final class RingpoolJMeter {
    public static void main(String[] args) throws Exception {
        String home = System.getProperty("jmeter.home", "/usr/share/jmeter");
        JMeterUtils.setJMeterHome(home);
        JMeterUtils.loadJMeterProperties(new File(home, "bin/jmeter.properties").getPath());
        for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
            Field field = SaveService.class.getDeclaredField(name);
            field.setAccessible(true);
            ((XStream) field.get(null)).addPermission(AnyTypePermission.ANY);
        }
        NewDriver.main(args);
    }
}
